import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import PermissionsStep from "./PermissionsStep.svelte";
import { AwsJourney, INLINE_TEMPLATE } from "./journey.svelte";
import type { PermissionPlan, PlannedPermission } from "../../lib/ipc";

const CALLER = { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada" };
const READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess";
const OLD_INLINE = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "s3:*",
      "Resource": "*"
    }
  ]
}`;

function planned(planId: string, plan: Partial<PermissionPlan>): PlannedPermission {
  return {
    planId,
    plan: {
      caller: CALLER,
      roleName: "data",
      target: { kind: "inline", name: "astro-access" },
      before: null,
      after: INLINE_TEMPLATE,
      diff: INLINE_TEMPLATE.split("\n").map((text) => ({ kind: "added" as const, text })),
      changed: true,
      replaces: false,
      ...plan,
    },
  };
}

const attachPlan = (planId = "perm-1") =>
  planned(planId, {
    target: { kind: "managed", policyArn: READ_ONLY },
    before: S3_READ,
    after: `${S3_READ}\n${READ_ONLY}`,
    diff: [
      { kind: "same", text: S3_READ },
      { kind: "added", text: READ_ONLY },
    ],
  });

const replacePlan = (planId = "perm-1") =>
  planned(planId, {
    before: OLD_INLINE,
    replaces: true,
    diff: [
      { kind: "removed", text: '      "Action": "s3:*",' },
      { kind: "removed", text: '      "Resource": "*"' },
      { kind: "added", text: '      "Action": ["s3:GetObject", "s3:ListBucket"],' },
    ],
  });

type Handler = (args: Record<string, unknown>) => unknown;

/** The IPC the step and its editor need; returns each call with its arguments. */
function backend(overrides: Record<string, Handler> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const handlers: Record<string, Handler> = {
    aws_managed_policy_catalog: () => [
      {
        name: "ReadOnlyAccess",
        arn: READ_ONLY,
        path: "/",
        description: "Read-only access to AWS services",
      },
    ],
    aws_action_services: () => [],
    aws_arn_templates: () => [],
    aws_permission_policy_analyze: () => ({
      state: "valid",
      view: {
        statements: [
          {
            index: 0,
            sid: null,
            effect: "Allow",
            actions: ["s3:GetObject", "s3:ListBucket"],
            notActions: false,
            resources: ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"],
            notResources: false,
            conditions: [],
            otherFields: [],
          },
        ],
        hasUnknownTopLevelFields: false,
      },
      pretty: INLINE_TEMPLATE,
      lints: [],
      size: 180,
      quota: 10240,
    }),
    aws_apply_permission: (args) => ({
      written: true,
      journalId: `journal-${String(args.planId)}`,
      roleName: "data",
      policy: "astro-access",
    }),
    ...overrides,
  };
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(a);
  });
  return {
    calls,
    argsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  };
}

function setup() {
  const journey = new AwsJourney();
  journey.roleName = "data";
  render(PermissionsStep, { journey });
  return journey;
}

/** The element's text as read: runs of whitespace (from line-wrapped markup) as one space. */
const text = (el: Element) => (el.textContent ?? "").replace(/\s+/g, " ").trim();
const settle = () => new Promise((r) => setTimeout(r, 0));
const review = () => screen.findByTestId("permission-review");
const applyButton = () => screen.getByRole("button", { name: "Apply permission change" });

async function writeInline() {
  await fireEvent.click(screen.getByRole("button", { name: "Write inline policy" }));
  return review();
}

const TARGET = { source: { kind: "defaultChain" }, region: null, endpointUrl: null };

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("Permissions step", () => {
  it("plans an attach, shows the diff, then applies exactly that plan and lists it", async () => {
    const { argsOf } = backend({
      aws_plan_attach: () => attachPlan(),
      aws_apply_permission: (args) => ({
        written: true,
        journalId: "journal-1",
        roleName: "data",
        policy: String(args.planId) === "perm-1" ? READ_ONLY : "wrong plan",
      }),
    });
    setup();
    const attach = await screen.findByRole("button", { name: "Attach ReadOnlyAccess" });
    await fireEvent.click(attach);

    const panel = await review();
    expect(argsOf("aws_plan_attach")).toEqual([
      { target: TARGET, roleName: "data", policyArn: READ_ONLY },
    ]);
    expect(argsOf("aws_apply_permission")).toEqual([]);
    expect(
      screen.getByRole("heading", { name: "Attach ReadOnlyAccess to role data" }),
    ).toBeTruthy();
    expect(panel.textContent).toContain("acting as arn:aws:iam::123456789012:user/ada");
    const added = [...panel.querySelectorAll(".line.added")].map((l) => l.textContent);
    const same = [...panel.querySelectorAll(".line.same")].map((l) => l.textContent);
    // The +/- gutter is for the eye; screen readers hear "Added:" / "Removed:".
    expect(added).toEqual([`+Added: ${READ_ONLY}`]);
    expect(same).toEqual([` ${S3_READ}`]);
    expect(document.activeElement).toBe(panel);
    expect(applyButton().textContent?.trim()).toBe("Apply");

    await fireEvent.click(applyButton());
    const changes = await screen.findByTestId("permission-changes");
    expect(argsOf("aws_apply_permission")).toEqual([{ planId: "perm-1", confirmReplace: false }]);
    expect(changes.textContent).toContain("Applied and verified");
    expect(changes.textContent).toContain(READ_ONLY);
    expect(screen.queryByTestId("permission-review")).toBeNull();
    expect(screen.queryByRole("button", { name: "Attach ReadOnlyAccess" })).toBeNull();
    expect(screen.getByText("Attached")).toBeTruthy();
    expect(document.activeElement).toBe(changes);
  });

  it("plans the inline policy as edited and adds it when the role has none", async () => {
    const { argsOf } = backend({ aws_plan_inline: () => planned("perm-7", {}) });
    const journey = setup();
    const panel = await writeInline();
    expect(argsOf("aws_plan_inline")).toEqual([
      { target: TARGET, roleName: "data", policyName: "astro-access", document: INLINE_TEMPLATE },
    ]);
    expect(
      screen.getByRole("heading", { name: "Add inline policy astro-access to role data" }),
    ).toBeTruthy();
    expect(panel.textContent).toContain('"s3:GetObject", "s3:ListBucket"');
    expect(screen.queryByLabelText("Replace it")).toBeNull();

    await fireEvent.click(applyButton());
    await waitFor(() => expect(journey.permissionChanges).toHaveLength(1));
    expect(argsOf("aws_apply_permission")).toEqual([{ planId: "perm-7", confirmReplace: false }]);
    const changes = screen.getByTestId("permission-changes");
    expect(changes.textContent).toContain("Applied and verified");
    expect(changes.textContent).toContain("astro-access");
    expect(journey.permissionChanges[0]?.journalId).toBe("journal-perm-7");
  });

  it("needs Replace it ticked before replacing an inline policy, and sends the confirmation", async () => {
    const { argsOf } = backend({ aws_plan_inline: () => replacePlan("perm-2") });
    setup();
    const panel = await writeInline();
    expect(
      screen.getByRole("heading", { name: "Replace inline policy astro-access on role data" }),
    ).toBeTruthy();
    expect(text(screen.getByTestId("permission-replace-warning"))).toContain(
      "An inline policy named astro-access already exists on the role and will be replaced — its current document is shown as removed lines",
    );
    const removed = [...panel.querySelectorAll(".line.removed")].map((l) => l.textContent);
    expect(removed).toEqual([
      '-Removed:       "Action": "s3:*",',
      '-Removed:       "Resource": "*"',
    ]);

    expect(applyButton().hasAttribute("disabled")).toBe(true);
    await fireEvent.click(applyButton());
    expect(argsOf("aws_apply_permission")).toEqual([]);

    await fireEvent.click(screen.getByLabelText("Replace it"));
    expect(applyButton().hasAttribute("disabled")).toBe(false);
    await fireEvent.click(applyButton());
    await screen.findByTestId("permission-changes");
    expect(argsOf("aws_apply_permission")).toEqual([{ planId: "perm-2", confirmReplace: true }]);
  });

  it("says an unchanged plan is already in place and only offers Close", async () => {
    const { argsOf } = backend({
      aws_plan_inline: () =>
        planned("perm-3", {
          before: INLINE_TEMPLATE,
          diff: INLINE_TEMPLATE.split("\n").map((text) => ({ kind: "same" as const, text })),
          changed: false,
        }),
    });
    setup();
    const panel = await writeInline();
    expect(panel.textContent).toContain("Already in place — nothing to write.");
    expect(screen.queryByRole("button", { name: "Apply permission change" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Cancel" })).toBeNull();

    await fireEvent.click(screen.getByRole("button", { name: "Close" }));
    await settle();
    expect(screen.queryByTestId("permission-review")).toBeNull();
    expect(document.activeElement).toBe(
      screen.getByRole("button", { name: "Write inline policy" }),
    );
    expect(argsOf("aws_apply_permission")).toEqual([]);
  });

  it("Cancel writes nothing and gives focus back to the button that opened the review", async () => {
    const { argsOf } = backend({ aws_plan_attach: () => attachPlan() });
    setup();
    const attach = await screen.findByRole("button", { name: "Attach ReadOnlyAccess" });
    await fireEvent.click(attach);
    await review();
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    await settle();
    expect(screen.queryByTestId("permission-review")).toBeNull();
    expect(document.activeElement).toBe(attach);
    expect(argsOf("aws_apply_permission")).toEqual([]);
  });

  it("offers Plan again when the role changed since the plan, and re-plans the same change", async () => {
    let plans = 0;
    const { argsOf } = backend({
      aws_plan_inline: () => planned(`perm-${++plans}`, {}),
      aws_apply_permission: (args) => {
        if (args.planId === "perm-1")
          throw {
            code: "remote_changed",
            message: "role data's inline policy astro-access changed since the plan was shown",
            hint: "Review the new plan.",
            field: null,
          };
        return { written: true, journalId: "journal-2", roleName: "data", policy: "astro-access" };
      },
    });
    const journey = setup();
    await writeInline();
    await fireEvent.click(applyButton());

    const again = await screen.findByRole("button", { name: "Plan again" });
    expect(journey.error?.code).toBe("remote_changed");
    expect(screen.getByTestId("permission-review").textContent).toContain(
      "This plan no longer matches the role",
    );
    expect(screen.queryByRole("button", { name: "Apply permission change" })).toBeNull();
    expect(document.activeElement).toBe(again);
    expect(screen.queryByTestId("permission-changes")).toBeNull();

    // The editor changed meanwhile: Plan again still repeats the change that was shown.
    journey.inlineDocument = `${INLINE_TEMPLATE}\n`;
    await fireEvent.click(again);
    await screen.findByRole("button", { name: "Review the edit" });
    const inline = argsOf("aws_plan_inline");
    expect(inline).toHaveLength(2);
    expect(inline[1]).toEqual(inline[0]);
    expect(journey.error).toBeNull();

    journey.inlineDocument = INLINE_TEMPLATE;
    await settle();
    await fireEvent.click(applyButton());
    await screen.findByTestId("permission-changes");
    expect(argsOf("aws_apply_permission")).toEqual([
      { planId: "perm-1", confirmReplace: false },
      { planId: "perm-2", confirmReplace: false },
    ]);
  });

  it("asks for a new review when the inline policy is edited after planning", async () => {
    let plans = 0;
    const { argsOf } = backend({ aws_plan_inline: () => planned(`perm-${++plans}`, {}) });
    const journey = setup();
    await writeInline();
    journey.inlineDocument = OLD_INLINE;
    await settle();
    expect(screen.queryByRole("button", { name: "Apply permission change" })).toBeNull();
    expect(screen.getByTestId("permission-review").textContent).toContain(
      "You edited the inline policy after this review",
    );

    await fireEvent.click(screen.getByRole("button", { name: "Review the edit" }));
    await waitFor(() => expect(applyButton().hasAttribute("disabled")).toBe(false));
    expect(argsOf("aws_plan_inline").map((a) => a.document)).toEqual([INLINE_TEMPLATE, OLD_INLINE]);
    await fireEvent.click(applyButton());
    await screen.findByTestId("permission-changes");
    expect(argsOf("aws_apply_permission")).toEqual([{ planId: "perm-2", confirmReplace: false }]);
  });

  it("shows a refused plan at its field and opens no review", async () => {
    const { argsOf } = backend({
      aws_plan_inline: () => {
        throw {
          code: "invalid_input",
          message: "policy name: use letters, digits and +=,.@_-",
          hint: "Rename the policy.",
          field: "policy_name",
        };
      },
    });
    const journey = setup();
    journey.inlineName = "astro access";
    await settle();
    const write = screen.getByRole("button", { name: "Write inline policy" });
    await fireEvent.click(write);
    await screen.findByText("policy name: use letters, digits and +=,.@_-");
    await settle();
    expect(argsOf("aws_plan_inline")[0]?.policyName).toBe("astro access");
    expect(screen.queryByTestId("permission-review")).toBeNull();
    expect(journey.permissionRequest).toBeNull();
    expect(document.activeElement).toBe(write);
  });
});
