import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import ExportPanel from "./ExportPanel.svelte";

beforeEach(() => clearMocks());
afterEach(() => cleanup());

function formats(): string[] {
  const group = screen.getByRole("radiogroup", { name: "Export format" });
  return [...group.querySelectorAll("label")].map(
    (l) => l.querySelector("strong")?.textContent ?? "",
  );
}

describe("ExportPanel", () => {
  it("offers the formats that fit the cloud and shows the chosen export", async () => {
    const asked: [string, string][] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "export_plan") throw new Error(`unexpected ${cmd}`);
      const { planId, format } = args as { planId: string; format: string };
      asked.push([planId, format]);
      return { format, fileName: "x", text: `# ${format} of ${planId}` };
    });
    render(ExportPanel, { planId: "plan-7", cloud: "aws" });
    expect(formats()).toEqual(["Terraform", "AWS CLI script", "CloudFormation"]);
    const text = await screen.findByRole("textbox", { name: "Export text" });
    expect((text as HTMLTextAreaElement).value).toBe("# terraform of plan-7");
    await fireEvent.click(screen.getByRole("radio", { name: /AWS CLI script/ }));
    await waitFor(() =>
      expect(
        (screen.getByRole("textbox", { name: "Export text" }) as HTMLTextAreaElement).value,
      ).toBe("# aws-cli of plan-7"),
    );
    expect(asked).toEqual([
      ["plan-7", "terraform"],
      ["plan-7", "aws-cli"],
    ]);
    cleanup();
    render(ExportPanel, { planId: "plan-8", cloud: "gcp" });
    expect(formats()).toEqual(["Terraform", "gcloud commands"]);
  });

  it("saves through the dialog, says where, and says nothing when cancelled", async () => {
    let answer: string | null = "/home/ada/astro-identity.tf";
    mockIPC((cmd) => {
      if (cmd === "export_plan") return { format: "terraform", fileName: "x", text: "# tf" };
      if (cmd === "export_save") return answer;
      throw new Error(`unexpected ${cmd}`);
    });
    render(ExportPanel, { planId: "plan-1", cloud: "aws" });
    await screen.findByRole("textbox", { name: "Export text" });
    await fireEvent.click(screen.getByRole("button", { name: "Save to a file…" }));
    const status = await screen.findByRole("status");
    expect(status.textContent).toBe("Saved to /home/ada/astro-identity.tf");
    answer = null;
    await fireEvent.click(screen.getByRole("button", { name: "Save to a file…" }));
    await waitFor(() => expect(screen.queryByRole("status")).toBeNull());
  });

  it("names what went wrong when the plan is gone or the file cannot be written", async () => {
    mockIPC((cmd) => {
      if (cmd === "export_plan")
        throw {
          code: "plan_expired",
          message: "this plan is no longer available",
          hint: "Review the change again; plans are applied once.",
          field: null,
        };
      throw new Error(`unexpected ${cmd}`);
    });
    render(ExportPanel, { planId: "plan-gone", cloud: "gcp" });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(
      "this plan is no longer available. Review the change again; plans are applied once.",
    );
    expect(screen.queryByRole("textbox", { name: "Export text" })).toBeNull();
  });
});
