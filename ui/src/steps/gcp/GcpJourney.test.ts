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
});
