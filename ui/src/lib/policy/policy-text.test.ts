import { describe, expect, it } from "vitest";
import type { Outcome } from "../ipc";
import { PolicyText } from "./policy-text.svelte";

type State = { state: "valid"; view: string } | { state: "invalid"; message: string };

describe("PolicyText", () => {
  it("shows the newest text's analysis when an older answer comes back last", async () => {
    let text = "first";
    const pending: { text: string; resolve: (state: State) => void }[] = [];
    const doc = new PolicyText<State, string, never>(
      { get: () => text, set: (next) => (text = next) },
      {
        analyze: (current) =>
          new Promise<State>((resolve) => pending.push({ text: current, resolve })),
        edit: async (): Promise<Outcome<string>> => ({ status: "ok", data: text }),
        viewOf: (state) => (state.state === "valid" ? state.view : null),
      },
    );
    doc.typed();
    text = "second";
    doc.typed();
    expect(pending.map((p) => p.text)).toEqual(["first", "second"]);
    // The newer answer lands first, the older one after it: the older one is dropped.
    pending[1]?.resolve({ state: "valid", view: "view of second" });
    await Promise.resolve();
    pending[0]?.resolve({ state: "valid", view: "view of first" });
    await new Promise((r) => setTimeout(r, 0));
    expect(doc.view).toBe("view of second");
  });

  it("keeps the last valid view while the text does not parse", async () => {
    let text = "ok";
    const doc = new PolicyText<State, string, never>(
      { get: () => text, set: (next) => (text = next) },
      {
        analyze: async (current): Promise<State> =>
          current === "ok"
            ? { state: "valid", view: "the view" }
            : { state: "invalid", message: "x" },
        edit: async (): Promise<Outcome<string>> => ({ status: "ok", data: text }),
        viewOf: (state) => (state.state === "valid" ? state.view : null),
      },
    );
    await doc.analyze();
    text = "{oops";
    expect(await doc.analyze()).toBe(true);
    expect(doc.view).toBe("the view");
    expect(doc.analysis?.state).toBe("invalid");
  });
});
