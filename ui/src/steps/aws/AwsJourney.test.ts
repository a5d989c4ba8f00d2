import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import AwsJourney from "./AwsJourney.svelte";
import type { PlannedChange, TrustPlan } from "../../lib/ipc";

const ARN_A = "arn:aws:iam::123456789876:role/astro-a-1234";

function plan(overrides: Partial<TrustPlan> = {}): PlannedChange {
  return {
    planId: "plan-0",
    change: {
      caller: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada" },
      roleName: "astro-deployments",
      roleArn: null,
      create: null,
      remoteBefore: null,
      quota: 2048,
      plan: {
        beforeJson: null,
        afterJson: "{}",
        compactAfter: "{}",
        diff: [{ kind: "added", text: `"${ARN_A}"` }],
        lints: [],
        size: {
          used: 200,
          quota: 2048,
          remaining: 1848,
          perDeployment: 57,
          moreDeploymentsFit: 32,
        },
        changed: true,
        blocked: false,
        needsConfirmation: false,
        added: [ARN_A],
        alreadyTrusted: [],
        removed: [],
        ...overrides,
      },
    },
  };
}

type Handler = (args: Record<string, unknown>) => unknown;

function backend(overrides: Record<string, Handler> = {}) {
  const calls: string[] = [];
  const handlers: Record<string, Handler> = {
    aws_parse_identities: (args) => {
      const text = String(args.text).trim();
      return text.startsWith("arn:aws:iam::123456789876:")
        ? { valid: [text], errors: [] }
        : {
            valid: [],
            errors: [
              {
                input: text,
                message: "identity: account must be 12 digits, got 11",
                hint: "Copy it again.",
              },
            ],
          };
    },
    aws_caller: () => ({ account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada" }),
    aws_trust_quota: () => ({
      value: null,
      source:
        "IAM's “Role trust policy length” (Service Quotas code L-C07B4B0D) could not be read: these credentials may not call servicequotas:GetServiceQuota.",
    }),
    aws_plan: () => plan(),
    ...overrides,
  };
  mockIPC((cmd, args) => {
    calls.push(cmd);
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler((args ?? {}) as Record<string, unknown>);
  });
  return calls;
}

async function typeIdentities(text: string) {
  const box = screen.getByLabelText("Workload identity ARNs");
  await fireEvent.input(box, { target: { value: text } });
  await new Promise((r) => setTimeout(r, 250));
}

async function next() {
  await fireEvent.click(screen.getByRole("button", { name: "Next" }));
  await new Promise((r) => setTimeout(r, 0));
}

/** The identities typed, then the account step's "Check who I am" answered. */
async function toCheckedAccount() {
  await typeIdentities(ARN_A);
  await next();
  await fireEvent.click(screen.getByRole("button", { name: "Check who I am" }));
  await screen.findByTestId("caller");
}

async function reachReview() {
  await typeIdentities(ARN_A);
  await next();
  await next();
  await next();
  await screen.findByText("Review the change");
}

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("AWS journey", () => {
  it("shows each bad ARN with its problem and keeps Next disabled", async () => {
    backend();
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await typeIdentities("arn:aws:iam::12345678901:role/astro-x");
    expect((await screen.findByTestId("parsed-identities")).textContent).toContain(
      "account must be 12 digits, got 11",
    );
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
  });

  it("marks the bad ARN field invalid for screen readers and names the parsed list's lines", async () => {
    backend();
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await typeIdentities("arn:aws:iam::12345678901:role/astro-x");
    const box = screen.getByLabelText("Workload identity ARNs");
    expect(box.getAttribute("aria-invalid")).toBe("true");
    const list = await screen.findByRole("list", { name: "Identities to trust" });
    expect(list.textContent).toContain("Needs fixing:");
    await typeIdentities(ARN_A);
    expect(box.getAttribute("aria-invalid")).toBeNull();
    expect(screen.getByRole("list", { name: "Identities to trust" }).textContent).toContain(
      `Accepted: ${ARN_A}`,
    );
  });

  it("waits for a picked role when using an existing one, and never shows the create default", async () => {
    const roles = [
      { name: "astro-sales", arn: "arn:aws:iam::123456789012:role/astro-sales", description: null },
    ];
    backend({ aws_list_roles: () => roles });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await typeIdentities(ARN_A);
    await next();
    await next();
    expect(screen.getByText("astro-deployments")).toBeTruthy();
    await fireEvent.click(screen.getByLabelText("Use an existing role"));
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.queryByText("astro-deployments")).toBeNull();
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
    expect((await screen.findByTestId("role-missing")).textContent).toContain("Tick a role");
    await fireEvent.click(screen.getByLabelText(/astro-sales/));
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(false);
    expect(screen.queryByTestId("role-missing")).toBeNull();
    // Back to creating: the create form's name comes back.
    await fireEvent.click(screen.getByLabelText("Create a new role"));
    expect((screen.getByLabelText("Role name") as HTMLInputElement).value).toBe(
      "astro-deployments",
    );
  });

  it("keeps typed access keys in the keyring, then checks who they are", async () => {
    const calls = backend({ aws_store_keys: () => null });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await typeIdentities(ARN_A);
    await next();
    await fireEvent.click(screen.getByLabelText(/Enter access keys/));
    await fireEvent.input(screen.getByLabelText("Access key ID"), {
      target: { value: "AKIAE2EPATHS00000000" },
    });
    await fireEvent.input(screen.getByLabelText("Secret access key"), {
      target: { value: "a-secret-of-forty-characters-0000000000" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Save in keyring and check" }));
    expect((await screen.findByTestId("caller")).textContent).toContain("123456789012");
    expect(calls).toEqual(expect.arrayContaining(["aws_store_keys", "aws_caller"]));
    // The secret left the page with the call.
    expect(
      (screen.queryByLabelText("Secret access key") as HTMLInputElement | null)?.value ?? "",
    ).toBe("");
  });

  it("sends a raised trust policy quota with the plan and remembers it for the account", async () => {
    localStorage.clear();
    const quotas: unknown[] = [];
    backend({
      aws_plan: (args) => {
        quotas.push((args.request as { quota: unknown }).quota);
        return plan();
      },
    });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await toCheckedAccount();
    const field = screen.getByLabelText("Trust policy size limit (characters)") as HTMLInputElement;
    expect(field.value).toBe("2048");
    // Why it is asked: Service Quotas could not be read with these credentials.
    expect(field.getAttribute("aria-describedby")).toBeTruthy();
    expect(await screen.findByText(/may not call servicequotas:GetServiceQuota/)).toBeTruthy();
    await fireEvent.change(field, { target: { value: "9000" } });
    expect((await screen.findByText(/whole number from 2,048/)).textContent).toContain("4,096");
    expect(localStorage.getItem("astro-identity:trust-policy-quota:123456789012")).toBeNull();
    await fireEvent.change(field, { target: { value: "4096" } });
    expect(screen.queryByText(/whole number from 2,048/)).toBeNull();
    expect(localStorage.getItem("astro-identity:trust-policy-quota:123456789012")).toBe("4096");
    await next();
    await next();
    await screen.findByText("Review the change");
    expect(quotas).toEqual([4096]);

    // Another journey in the same account starts from the remembered quota.
    cleanup();
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await toCheckedAccount();
    await waitFor(() =>
      expect(
        (screen.getByLabelText("Trust policy size limit (characters)") as HTMLInputElement).value,
      ).toBe("4096"),
    );
  });

  it("uses the quota Service Quotas reports for the account, and says where it came from", async () => {
    localStorage.clear();
    const quotas: unknown[] = [];
    backend({
      aws_trust_quota: () => ({
        value: 4096,
        source:
          "IAM's “Role trust policy length” (Service Quotas code L-C07B4B0D), read from Service Quotas.",
      }),
      aws_plan: (args) => {
        quotas.push((args.request as { quota: unknown }).quota);
        return plan();
      },
    });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await typeIdentities(ARN_A);
    await next();
    await fireEvent.click(screen.getByRole("button", { name: "Check who I am" }));
    const reading = await screen.findByTestId("trust-quota");
    expect(reading.textContent).toContain("4,096");
    expect(reading.textContent).toContain("read from Service Quotas");
    expect(screen.queryByLabelText("Trust policy size limit (characters)")).toBeNull();
    await next();
    await next();
    await screen.findByText("Review the change");
    expect(quotas).toEqual([4096]);
  });

  it("walks to the review and applies only an unblocked plan", async () => {
    const calls = backend({
      aws_apply: () => {
        throw new Error("not in this test");
      },
    });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await reachReview();
    expect(calls).toEqual(expect.arrayContaining(["aws_caller", "aws_plan"]));
    expect(calls).not.toContain("aws_apply");
    expect(screen.getByTestId("review-summary").textContent).toContain("trust 1 Deployment");
    expect(screen.getByTestId("size-meter").textContent).toContain(
      "Room for about 32 more Deployments",
    );
    expect(screen.getByRole("button", { name: "Apply" }).hasAttribute("disabled")).toBe(false);
  });

  it("blocks the apply on an error lint", async () => {
    backend({
      aws_plan: () =>
        plan({
          blocked: true,
          lints: [
            {
              level: "error",
              code: "over_quota",
              message: "The trust policy is 2,114 characters, over the 2,048 quota",
              hint: "Use a second role.",
              statement: null,
            },
          ],
        }),
    });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await reachReview();
    expect(screen.getByTestId("lints").textContent).toContain("over the 2,048 quota");
    expect(screen.getByRole("button", { name: "Apply" }).hasAttribute("disabled")).toBe(true);
  });

  it("needs the warnings confirmed, then sends the confirmation", async () => {
    let confirmed: unknown = null;
    backend({
      aws_plan: () =>
        plan({
          needsConfirmation: true,
          lints: [
            {
              level: "warning",
              code: "wildcard_principal_without_condition",
              message: "Statement 1 trusts everyone",
              hint: "Add a condition.",
              statement: 0,
            },
          ],
        }),
      aws_apply: (args) => {
        confirmed = args.confirmWarnings;
        throw {
          code: "remote_changed",
          message: "the trust policy changed since the plan was shown",
          hint: "Review the new plan.",
          field: null,
        };
      },
    });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await reachReview();
    const apply = screen.getByRole("button", { name: "Apply" });
    expect(apply.hasAttribute("disabled")).toBe(true);
    await fireEvent.click(
      screen.getByLabelText("I have read the warnings and want to apply anyway"),
    );
    expect(apply.hasAttribute("disabled")).toBe(false);
    await fireEvent.click(apply);
    const error = await screen.findByTestId("journey-error");
    expect(error.textContent).toContain("the trust policy changed since the plan was shown");
    expect(error.textContent).toContain("Review the new plan.");
    expect(confirmed).toBe(true);
  });

  it("attaches the role to picked Deployments: providers, trust policy and identities reviewed, then applied", async () => {
    const issuer = "https://oidc.astronomer.io/aws";
    const deployment = (id: string, issuerUrl: string | null) => ({
      id,
      name: `Deployment ${id}`,
      organizationId: "clorg",
      workspaceId: "clws",
      workspaceName: null,
      cloudProvider: "AWS",
      region: "us-east-1",
      clusterId: null,
      clusterName: null,
      status: "HEALTHY",
      deploymentType: "STANDARD",
      namespace: `ns-${id}`,
      oidcIssuerUrl: issuerUrl,
      workloadIdentity: `arn:aws:iam::123456789012:role/astro-ns-${id}`,
      customerManaged: false,
    });
    const trust = plan().change;
    let applied: unknown = null;
    const calls = backend({
      // The permissions step, reached after the apply, loads its catalogs.
      aws_action_services: () => [],
      aws_managed_policy_catalog: () => [],
      aws_permission_policy_analyze: () => ({ state: "empty" }),
      astro_token_sources: () => [{ kind: "env" }],
      astro_connect: () => ({
        source: "ASTRO_API_TOKEN",
        organizations: [{ id: "clorg", name: "Acme" }],
      }),
      astro_workspaces: () => [],
      astro_deployment_page: () => ({
        deployments: [deployment("a1", issuer), deployment("a2", null)],
        offset: 0,
        totalCount: 2,
        nextOffset: null,
      }),
      aws_plan_attach_role: (args) => {
        const request = args.request as { deployments: { id: string }[] };
        expect(request.deployments.map((d) => d.id)).toEqual(["a1"]);
        return {
          planId: "attach-1",
          plan: {
            caller: trust.caller,
            providers: [
              {
                account: "123456789012",
                arn: "arn:p",
                url: "oidc.astronomer.io/aws",
                clientIds: null,
              },
            ],
            trusts: [],
            trust,
            roleArn: "arn:aws:iam::123456789012:role/astro-deployments",
          },
        };
      },
      aws_apply_attach_role: (args) => {
        applied = args.planId;
        return {
          iam: {
            providerJournalIds: ["j1"],
            trust: {
              written: true,
              verified: true,
              journalId: "j2",
              roleName: "astro-deployments",
              roleArn: "arn:aws:iam::123456789012:role/astro-deployments",
              account: "123456789012",
              trustPolicy: "{}",
              consoleUrl: "https://console",
            },
          },
          identityJournalIds: ["j3"],
        };
      },
    });
    render(AwsJourney, { credentials: null, onexit: () => {} });
    await fireEvent.click(screen.getByLabelText(/Attach my role to the Deployments/));
    await new Promise((r) => setTimeout(r, 0));
    await fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await screen.findByText("Deployment a2");
    await fireEvent.click(
      screen.getByTestId("deployment-a2").querySelector("input") as HTMLInputElement,
    );
    expect((await screen.findByRole("alert")).textContent).toContain("has no OIDC issuer");
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
    await fireEvent.click(
      screen.getByTestId("deployment-a2").querySelector("input") as HTMLInputElement,
    );
    await fireEvent.click(
      screen.getByTestId("deployment-a1").querySelector("input") as HTMLInputElement,
    );
    await next();
    await next();
    await next();
    const steps =
      (await screen.findByTestId("attach-steps")).textContent?.replace(/\s+/g, " ") ?? "";
    expect(steps).toContain("Create the OIDC provider oidc.astronomer.io/aws");
    expect(steps).toContain("Deployment Deployment a1: workload identity");
    expect(calls).toContain("aws_plan_attach_role");
    expect(calls).not.toContain("aws_plan");
    await fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await screen.findByText("What may the Deployments do?", { exact: false });
    expect(applied).toBe("attach-1");
  });
});
