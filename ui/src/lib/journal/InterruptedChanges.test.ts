import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import InterruptedChanges from "./InterruptedChanges.svelte";

const report = (result: string, message: string) => ({
  journalId: "j-1",
  cloud: "aws",
  account: "123456789012",
  action: "updateTrustPolicy",
  resourceName: "astro-data",
  time: "2026-11-26T10:00:00Z",
  result,
  message,
});

const pause = (ms = 50) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("InterruptedChanges", () => {
  it("lists interrupted changes at startup and settles them with the chosen profile", async () => {
    const targets: unknown[] = [];
    mockIPC((cmd, args) => {
      if (cmd === "journal_pending")
        return [
          report("unchecked", "Your last change was interrupted; it has not been checked yet"),
        ];
      if (cmd === "journal_settle_aws") {
        targets.push((args as { target: unknown }).target);
        return [report("applied", "Your last change was interrupted; it was applied.")];
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(InterruptedChanges, { awsProfiles: ["prod", "dev"] });
    const panel = await screen.findByTestId("interrupted-changes");
    expect(panel.textContent).toContain("Interrupted changes to check");
    expect(panel.textContent).toContain("not been checked yet");
    expect(screen.queryByRole("button", { name: /Check GCP/ })).toBeNull();

    await fireEvent.change(screen.getByLabelText("AWS credentials"), { target: { value: "prod" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check AWS changes" }));
    await pause();
    expect(targets).toEqual([
      { source: { kind: "profile", name: "prod" }, region: null, endpointUrl: null },
    ]);
    expect(panel.textContent).toContain("it was applied");
    expect(panel.textContent).toContain("Interrupted changes, settled");
    expect(screen.queryByRole("button", { name: "Check AWS changes" })).toBeNull();
  });

  it("shows nothing when the journal has no interrupted change", async () => {
    mockIPC(() => []);
    render(InterruptedChanges, { awsProfiles: [] });
    await pause();
    expect(screen.queryByTestId("interrupted-changes")).toBeNull();
  });
});
