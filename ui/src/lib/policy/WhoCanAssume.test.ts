import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import WhoCanAssume from "./WhoCanAssume.svelte";

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("WhoCanAssume", () => {
  it("reads every statement out in words, denials marked, conditions as 'only when'", async () => {
    const asked: string[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "aws_trust_who") throw new Error(`unexpected ${cmd}`);
      asked.push(String((args as { policy: string }).policy));
      return [
        {
          number: 1,
          sid: "Astro",
          effect: "Allow",
          who: ["role astro-x in account 111122223333 (and its sessions)"],
          actions: ["sts:AssumeRole"],
          conditions: ["sts:ExternalId is a1b2"],
        },
        {
          number: 2,
          sid: null,
          effect: "Deny",
          who: ["anyone"],
          actions: ["sts:TagSession"],
          conditions: [],
        },
      ];
    });
    render(WhoCanAssume, { text: '{"Statement":[]}' });
    const list = await screen.findByRole("list", { name: "Statements in plain words" });
    const items = list.querySelectorAll("li");
    expect(items[0]?.textContent?.replace(/\s+/g, " ").trim()).toBe(
      "Allowed (Astro): role astro-x in account 111122223333 (and its sessions) — sts:AssumeRole only when sts:ExternalId is a1b2",
    );
    expect(items[1]?.classList.contains("deny")).toBe(true);
    expect(items[1]?.textContent).toContain("Denied: anyone");
    await waitFor(() => expect(asked).toEqual(['{"Statement":[]}']));
  });

  it("keeps the last reading while the text does not parse", async () => {
    let calls = 0;
    mockIPC(() => {
      calls += 1;
      if (calls > 1) throw new Error("unparsable");
      return [
        {
          number: 1,
          sid: null,
          effect: "Allow",
          who: ["anyone"],
          actions: ["sts:AssumeRole"],
          conditions: [],
        },
      ];
    });
    const view = render(WhoCanAssume, { text: "{}" });
    await screen.findByText(/anyone/);
    await view.rerender({ text: "{oops" });
    await new Promise((r) => setTimeout(r, 300));
    expect(calls).toBe(2);
    expect(screen.getByText(/anyone/)).toBeTruthy();
  });
});
