import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import GcpJourney from "./GcpJourney.svelte";

const ACCOUNT = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
const RUNNER = "etl-runner@astro-data.iam.gserviceaccount.com";

type Handler = (args: Record<string, unknown>) => unknown;

function backend(overrides: Record<string, Handler> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  const handlers: Record<string, Handler> = {
    gcp_parse_service_account: (args) =>
      String(args.text).endsWith(".iam.gserviceaccount.com")
        ? { member: `serviceAccount:${String(args.text)}`, error: null }
        : {
            member: null,
            error: {
              code: "invalid_input",
              message: "service_account: must end with .iam.gserviceaccount.com",
              hint: "Copy it from the Deployment's details.",
              field: "service_account",
            },
          },
    gcp_role_permissions: () => [],
    gcp_search_roles: () => [
      {
        name: "roles/bigquery.jobUser",
        title: "BigQuery Job User",
        description: "Run jobs",
        stage: "GA",
      },
    ],
    gcp_plan: (args) => {
      const request = args.request as { impersonate: string | null };
      return {
        planId: "plan-0",
        change: {
          resource: request.impersonate
            ? { kind: "serviceAccount", id: request.impersonate }
            : { kind: "project", id: "astro-data" },
          principal: null,
          consoleUrl: "https://console.cloud.google.com/",
          plan: {
            beforeJson: "{}",
            afterJson: "{}",
            compactAfter: "{}",
            diff: [{ kind: "added", text: `"serviceAccount:${ACCOUNT}"` }],
            lints: [],
            changed: true,
            blocked: false,
            needsConfirmation: false,
            role: request.impersonate
              ? "roles/iam.serviceAccountTokenCreator"
              : "roles/bigquery.jobUser",
            member: `serviceAccount:${ACCOUNT}`,
            condition: null,
            principalCount: 2,
            groupCount: 0,
            added: [],
            removed: [],
          },
        },
      };
    },
    ...overrides,
  };
  mockIPC((cmd, args) => {
    calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler((args ?? {}) as Record<string, unknown>);
  });
  return calls;
}

const pause = (ms = 250) => new Promise((r) => setTimeout(r, ms));

async function type(label: string, value: string) {
  await fireEvent.input(screen.getByLabelText(label), { target: { value } });
  await pause();
}

async function next() {
  await fireEvent.click(screen.getByRole("button", { name: "Next" }));
  await pause(0);
}

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("GCP journey", () => {
  it("explains a bad service account and keeps Next disabled", async () => {
    backend();
    render(GcpJourney, { credentials: null, onexit: () => {} });
    await type("Deployment service account", "astro@gmail.com");
    expect((await screen.findByRole("alert")).textContent).toContain(
      "must end with .iam.gserviceaccount.com",
    );
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
  });

  it("takes the impersonation route to a token-creator grant on the account", async () => {
    const calls = backend();
    render(GcpJourney, { credentials: null, onexit: () => {} });
    await type("Deployment service account", ACCOUNT);
    await next();
    await type("Project ID", "astro-data");
    await fireEvent.click(screen.getByLabelText(/Impersonate one of my service accounts/));
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
    await type("Service account to impersonate", RUNNER);
    await next();
    expect(screen.getByText("Permission to impersonate")).toBeTruthy();
    await next();
    const summary = await screen.findByTestId("review-summary");
    expect(summary.textContent).toContain(`service account ${RUNNER}`);
    expect(summary.textContent).toContain("roles/iam.serviceAccountTokenCreator");
    const plan = calls.find((c) => c.cmd === "gcp_plan");
    expect((plan?.args.request as { impersonate: string }).impersonate).toBe(RUNNER);
  });

  it("attaches your service account: roles ticked, every grant and identity reviewed, apply sends the plan shown", async () => {
    const deployment = (id: string) => ({
      id,
      name: `Deployment ${id}`,
      organizationId: "clorg",
      workspaceId: "clws",
      workspaceName: null,
      cloudProvider: "GCP",
      region: "us-central1",
      clusterId: null,
      clusterName: null,
      status: "HEALTHY",
      deploymentType: "STANDARD",
      namespace: `ns-${id}`,
      oidcIssuerUrl: null,
      workloadIdentity: `astro-ns-${id}@astronomer-prod.iam.gserviceaccount.com`,
      customerManaged: false,
    });
    const grant = (
      kind: "project" | "serviceAccount",
      id: string,
      role: string,
      members: string[],
    ) => ({
      resource: { kind, id },
      principal: null,
      consoleUrl: "https://console.cloud.google.com/",
      plan: {
        beforeJson: "{}",
        afterJson: "{}",
        compactAfter: "{}",
        diff: members.map((m) => ({ kind: "added", text: `"${m}"` })),
        lints: [],
        changed: true,
        blocked: false,
        needsConfirmation: false,
        role,
        members,
        condition: null,
        principalCount: 2,
        groupCount: 0,
        added: [],
        removed: [],
      },
    });
    let applied: unknown = null;
    let connectionInput: unknown = null;
    const calls = backend({
      astro_token_sources: () => [{ kind: "env" }],
      astro_connect: () => ({
        source: "ASTRO_API_TOKEN",
        organizations: [{ id: "clorg", name: "Acme" }],
      }),
      astro_workspaces: () => [],
      astro_deployment_page: () => ({
        deployments: [deployment("g1"), deployment("g2")],
        offset: 0,
        totalCount: 2,
        nextOffset: null,
      }),
      gcp_plan_attach_sa: (args) => {
        const request = args.request as {
          serviceAccount: string;
          roles: string[];
          deployments: { id: string }[];
        };
        expect(request.serviceAccount).toBe(RUNNER);
        expect(request.roles).toEqual(["roles/bigquery.jobUser"]);
        expect(request.deployments.map((d) => d.id)).toEqual(["g1"]);
        return {
          planId: "attach-sa-1",
          plan: {
            serviceAccount: RUNNER,
            grants: [
              grant("project", "astro-data", "roles/bigquery.jobUser", [
                `serviceAccount:${RUNNER}`,
              ]),
              grant("serviceAccount", RUNNER, "roles/iam.serviceAccountTokenCreator", [
                "serviceAccount:astro-ns-g1@astronomer-prod.iam.gserviceaccount.com",
              ]),
            ],
            identities: [
              {
                deploymentId: "g1",
                name: "Deployment g1",
                from: "astro-ns-g1@astronomer-prod.iam.gserviceaccount.com",
                to: RUNNER,
                changed: true,
              },
            ],
            blocked: false,
            needsConfirmation: false,
            changed: true,
          },
        };
      },
      gcp_apply_attach_sa: (args) => {
        applied = args.planId;
        return { grants: [], identityJournalIds: ["j1"] };
      },
      airflow_gcp_connection: (args) => {
        connectionInput = args.input;
        return null;
      },
    });
    render(GcpJourney, { credentials: null, onexit: () => {} });
    await fireEvent.click(screen.getByLabelText(/Attach my service account to the Deployments/));
    await pause(0);
    expect(screen.queryByLabelText("Deployment service account")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await screen.findByText("Deployment g1");
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
    await fireEvent.click(
      screen.getByTestId("deployment-g1").querySelector("input") as HTMLInputElement,
    );
    await next();
    await type("Project ID", "astro-data");
    expect(screen.getByRole("button", { name: "Next" }).hasAttribute("disabled")).toBe(true);
    await type("Your service account", RUNNER);
    await next();
    await screen.findByText("BigQuery Job User");
    await fireEvent.click(screen.getByRole("checkbox", { name: /BigQuery Job User/ }));
    expect(screen.getByTestId("chosen-roles").textContent).toContain("roles/bigquery.jobUser");
    await next();
    const steps =
      (await screen.findByTestId("attach-steps")).textContent?.replace(/\s+/g, " ") ?? "";
    expect(steps).toContain("Grant roles/bigquery.jobUser on project astro-data");
    expect(steps).toContain(`roles/iam.serviceAccountTokenCreator on service account ${RUNNER}`);
    expect(steps).toContain(
      `Deployment Deployment g1: workload identity astro-ns-g1@astronomer-prod.iam.gserviceaccount.com → ${RUNNER}`,
    );
    expect(calls.map((c) => c.cmd)).not.toContain("gcp_plan");
    await fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await pause();
    expect(applied).toBe("attach-sa-1");
    await screen.findByText("Create the Airflow connection");
    await pause();
    expect((connectionInput as { impersonationChain: string }).impersonationChain).toBe(RUNNER);
  });
});
