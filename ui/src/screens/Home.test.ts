import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import Home from "./Home.svelte";
import { CredentialsState } from "../lib/credentials/credentials.svelte";
import type { SecretKey } from "../lib/ipc";
import { credentialSummary as summary } from "../lib/testing/fixtures";

type Call = { cmd: string; args: unknown };

function backend(responses: Record<string, (args: unknown) => unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    const respond = responses[cmd];
    if (!respond) throw new Error(`unexpected command ${cmd}`);
    return respond(args);
  });
  return calls;
}

beforeEach(() => clearMocks());

/** Renders Home the way App does: App owns the credentials and loads them. */
function renderHome(
  onstart: (journey: "aws" | "gcp") => void = () => {},
  onhistory: () => void = () => {},
) {
  const credentials = new CredentialsState();
  render(Home, { credentials, onstart, onhistory, oninventory: () => {} });
  void credentials.refresh();
  return credentials;
}
afterEach(() => cleanup());

describe("Home", () => {
  it("offers both journeys and starts them", async () => {
    backend({ credential_summary: () => summary() });
    const started: string[] = [];
    renderHome((journey) => started.push(journey));
    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe(
      "Authorize an Astro Deployment",
    );
    expect(screen.getByTestId("journey-aws").textContent).toContain("Authorize on AWS");
    expect(screen.getByTestId("journey-gcp").textContent).toContain("Authorize on GCP");
    await fireEvent.click(screen.getByRole("button", { name: "Start: Authorize on AWS" }));
    await fireEvent.click(screen.getByRole("button", { name: "Start: Authorize on GCP" }));
    expect(started).toEqual(["aws", "gcp"]);
  });

  it("opens the history of changes", async () => {
    backend({ credential_summary: () => summary() });
    const opened: string[] = [];
    renderHome(
      (journey) => opened.push(journey),
      () => opened.push("history"),
    );
    await fireEvent.click(screen.getByRole("button", { name: "History" }));
    expect(opened).toEqual(["history"]);
  });

  it("shows what the backend detected", async () => {
    backend({ credential_summary: () => summary() });
    renderHome();
    const profiles = await screen.findByTestId("aws-profiles");
    expect(profiles.textContent).toContain("data-sso");
    expect(profiles.textContent).toContain("SSO");
    expect(profiles.textContent).toContain("111122223333");
    expect(screen.getByTestId("gcp-adc").textContent).toContain("Found: gcloud user sign-in");
    expect(screen.getByTestId("gcp-adc").textContent).toContain("astro-data");
    expect(screen.getByTestId("keyring").textContent).toContain("prod");
  });

  it("explains an unavailable keyring and missing credentials", async () => {
    backend({
      credential_summary: () =>
        summary({
          aws: {
            configFile: "/h/.aws/config",
            credentialsFile: "/h/c",
            profiles: [],
            problem: null,
          },
          gcp: { adcPath: "/h/adc.json", fromEnv: false, adc: { state: "missing" } },
          keyring: { unavailable: "no OS keyring is running: no session bus", held: [] },
        }),
    });
    renderHome();
    const keyring = await screen.findByTestId("keyring");
    expect(keyring.textContent).toContain("Keyring unavailable");
    expect(keyring.textContent).toContain("no OS keyring is running");
    expect(screen.getByText(/No profiles\./)).toBeTruthy();
    expect(screen.getByTestId("gcp-adc").textContent).toContain("Not set up");
  });

  it("shows the backend's error with its hint", async () => {
    mockIPC(() => {
      throw { code: "boom", message: "Reading failed", hint: "Try again later.", field: null };
    });
    renderHome();
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Reading failed");
    expect(alert.textContent).toContain("Try again later.");
  });

  it("forgets a secret only after confirmation, then reloads", async () => {
    let held: SecretKey[] = [{ provider: "aws", profile: "prod" }];
    const calls = backend({
      credential_summary: () => summary({ keyring: { unavailable: null, held } }),
      forget_secret: () => {
        held = [];
        return true;
      },
    });
    renderHome();
    await fireEvent.click(await screen.findByRole("button", { name: "Forget aws secret prod" }));
    expect(calls.some((c) => c.cmd === "forget_secret")).toBe(false);
    await fireEvent.click(screen.getByRole("button", { name: "Delete from keyring" }));
    expect(await screen.findByText("None stored")).toBeTruthy();
    expect(calls.find((c) => c.cmd === "forget_secret")?.args).toEqual({
      provider: "aws",
      profile: "prod",
    });
  });
});
