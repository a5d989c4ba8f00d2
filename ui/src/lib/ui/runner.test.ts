import { describe, expect, it } from "vitest";
import { Runner } from "./runner.svelte";

describe("Runner", () => {
  it("returns the data of an answer and clears the progress line", async () => {
    const runner = new Runner();
    const data = await runner.run("Reading…", async () => ({ status: "ok" as const, data: 7 }));
    expect(data).toBe(7);
    expect(runner.busy).toBeNull();
    expect(runner.error).toBeNull();
  });

  it("reports a call that throws instead of leaving the progress line up forever", async () => {
    const runner = new Runner();
    const data = await runner.run("Reading the role…", () => {
      throw new TypeError("commands.gone is not a function");
    });
    expect(data).toBeNull();
    expect(runner.busy).toBeNull();
    expect(runner.error?.code).toBe("ipc_failed");
    expect(runner.error?.message).toBe(
      "The app failed while reading the role: TypeError: commands.gone is not a function",
    );
  });
});
