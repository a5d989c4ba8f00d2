import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Inventory from "./Inventory.svelte";

const SALES = "arn:aws:iam::123456789876:role/astro-sales-etl-0001";

function row(resource: string) {
  return {
    cloud: "aws",
    deployment: { id: "cldep1", name: "Sales ETL" },
    matched: "exact",
    identity: SALES,
    place: `role ${resource} in account 123456789012`,
    resource,
    access: ["lake-reader"],
    journaled: false,
    drift: resource === "old" ? "this app granted it; the role no longer trusts it" : null,
    consoleUrl: "",
  };
}

function trustChange(role: string, blocked: boolean) {
  return {
    caller: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada", userId: "x" },
    roleName: role,
    roleArn: `arn:aws:iam::123456789012:role/${role}`,
    create: null,
    remoteBefore: "{}",
    quota: 2048,
    plan: {
      beforeJson: "{}",
      afterJson: "{}",
      compactAfter: "{}",
      diff: [{ kind: "removed", text: `"${SALES}"` }],
      lints: blocked
        ? [
            {
              level: "error",
              code: "no_statement",
              message: "the policy has no statement, and IAM refuses a trust policy without one",
              hint: "delete the role",
              statement: null,
            },
          ]
        : [],
      changed: true,
      blocked,
      needsConfirmation: false,
      added: [],
      removed: [SALES],
      alreadyTrusted: [],
      size: { used: 10, quota: 2048, remaining: 2038, perDeployment: 60, moreDeploymentsFit: 30 },
    },
  };
}

type Call = { cmd: string; args: Record<string, unknown> };

function backend(blocked: boolean): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    switch (cmd) {
      case "astro_token_sources":
        return [{ kind: "keyring", profile: "astro" }];
      case "inventory_aws":
        return [row("data-lake"), row("old")];
      case "revoke_plan":
        return {
          planId: "revoke-1",
          identity: SALES,
          aws: [trustChange("data-lake", false), trustChange("vendor-feed", blocked)],
          gcp: [],
        };
      case "revoke_apply":
        return ["j1", "j2"];
      case "journal_plan_undo":
        return {
          planId: "u",
          journalId: "j",
          summary: "",
          resource: "",
          diff: [],
          kept: [],
          changed: true,
        };
      case "journal_apply_undo":
        return { journalId: "u1", verified: true, summary: "Reverted", consoleUrl: null };
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return calls;
}

const pause = (ms = 20) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("Inventory", () => {
  it("lists rows with their Deployment, access and drift, names Deployments with the token chosen", async () => {
    const calls = backend(false);
    render(Inventory, { awsProfiles: ["prod"], onexit: () => {} });
    await pause();
    await fireEvent.change(screen.getByLabelText("AWS profile"), { target: { value: "prod" } });
    await fireEvent.change(screen.getByLabelText("Astro API token"), {
      target: { value: "astro" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Read AWS roles" }));
    const rows = await screen.findByRole("list", { name: "Access held by Astro identities" });
    expect(within(rows).getAllByText("Sales ETL")).toHaveLength(2);
    expect(rows.textContent).toContain("can: lake-reader");
    expect(rows.textContent).toContain("Drift: this app granted it; the role no longer trusts it");
    const sent = calls.find((c) => c.cmd === "inventory_aws")?.args;
    expect(sent).toEqual({
      target: { source: { kind: "profile", name: "prod" }, region: null, endpointUrl: null },
      astro: {
        access: { source: { kind: "keyring", profile: "astro" }, baseUrl: null },
        organizationId: "",
      },
    });
  });

  it("reviews an offboarding, applies it, and undoes it as a group newest first", async () => {
    const calls = backend(false);
    render(Inventory, { awsProfiles: [], onexit: () => {} });
    await pause();
    await fireEvent.click(screen.getByRole("button", { name: "Read AWS roles" }));
    await screen.findByRole("list", { name: "Access held by Astro identities" });
    await fireEvent.click(
      screen.getAllByRole("button", { name: `Offboard ${SALES}` })[0] as HTMLElement,
    );
    const panel = await screen.findByTestId("revoke-panel");
    expect(panel.textContent).toContain("Trust policy of role vendor-feed");
    await fireEvent.click(screen.getByRole("button", { name: "Revoke everywhere (2)" }));
    expect((await screen.findByTestId("revoke-done")).textContent).toContain(
      "Revoked and verified in 2 places",
    );
    expect(calls.filter((c) => c.cmd === "inventory_aws")).toHaveLength(2);
    await fireEvent.click(screen.getByRole("button", { name: "Undo…" }));
    await fireEvent.click(screen.getByRole("button", { name: "Put every grant back" }));
    expect((await screen.findByTestId("revoke-undone")).textContent).toContain("2 changes undone");
    const undone = calls
      .filter((c) => c.cmd === "journal_plan_undo")
      .map((c) => (c.args.request as { journalId: string }).journalId);
    expect(undone).toEqual(["j2", "j1"]);
  });

  it("refuses to offer the revoke while a change has errors, and says what to do", async () => {
    const calls = backend(true);
    render(Inventory, { awsProfiles: [], onexit: () => {} });
    await pause();
    await fireEvent.click(screen.getByRole("button", { name: "Read AWS roles" }));
    await screen.findByRole("list", { name: "Access held by Astro identities" });
    await fireEvent.click(
      screen.getAllByRole("button", { name: `Offboard ${SALES}` })[0] as HTMLElement,
    );
    const panel = await screen.findByTestId("revoke-panel");
    expect(panel.textContent).toContain("IAM refuses a trust policy without one");
    expect(screen.queryByRole("button", { name: /Revoke everywhere/ })).toBeNull();
    expect(within(panel).getByRole("alert").textContent).toContain("Delete that role");
    expect(calls.map((c) => c.cmd)).not.toContain("revoke_apply");
  });
});
