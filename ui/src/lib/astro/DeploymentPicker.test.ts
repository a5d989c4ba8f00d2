import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import DeploymentPicker from "./DeploymentPicker.svelte";
import { DeploymentPicker as Picker } from "./picker.svelte";
import type { Deployment } from "../ipc";

function deployment(
  id: string,
  cloud: Deployment["cloudProvider"],
  extra: Partial<Deployment> = {},
): Deployment {
  const namespace = `ns-${id}`;
  return {
    id,
    name: `Deployment ${id}`,
    organizationId: "clorg",
    workspaceId: "clws",
    workspaceName: null,
    cloudProvider: cloud,
    region: "us-east-1",
    clusterId: null,
    clusterName: null,
    status: "HEALTHY",
    deploymentType: "STANDARD",
    namespace,
    oidcIssuerUrl: null,
    workloadIdentity:
      cloud === "AWS"
        ? `arn:aws:iam::123456789012:role/astro-${namespace}`
        : `astro-${namespace}@astronomer-prod.iam.gserviceaccount.com`,
    customerManaged: false,
    ...extra,
  };
}

const PAGES = [
  [
    deployment("a1", "AWS"),
    deployment("g1", "GCP"),
    deployment("a2", "AWS", { customerManaged: true }),
  ],
  [deployment("a3", "AWS", { workloadIdentity: null, status: "CREATING" })],
];

function backend() {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  mockIPC((cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    switch (cmd) {
      case "astro_token_sources":
        return [];
      case "astro_connect":
        return { source: "keyring profile astro", organizations: [{ id: "clorg", name: "Acme" }] };
      case "astro_workspaces":
        return [{ id: "clws", name: "Data" }];
      case "astro_deployment_page": {
        const index = Number(args.offset) === 0 ? 0 : 1;
        return {
          deployments: PAGES[index],
          offset: args.offset,
          totalCount: 4,
          nextOffset: index === 0 ? 3 : null,
        };
      }
      default:
        throw new Error(`unexpected command ${cmd}`);
    }
  });
  return calls;
}

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("Deployment picker", () => {
  it("stores a pasted token, loads every page and picks only what the journey can use", async () => {
    const calls = backend();
    const picker = new Picker("AWS");
    render(DeploymentPicker, { picker });
    await fireEvent.input(screen.getByLabelText("Token"), { target: { value: "tok-123" } });
    await fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await screen.findByText("Deployment a3");
    const connect = calls.find((c) => c.cmd === "astro_connect");
    expect(connect?.args.token).toBe("tok-123");
    expect(connect?.args.access).toEqual({
      source: { kind: "keyring", profile: "astro" },
      baseUrl: null,
    });
    expect(
      calls.filter((c) => c.cmd === "astro_deployment_page").map((c) => c.args.offset),
    ).toEqual([0, 3]);
    // The token went to the keyring: the field is gone, the stored profile is selected.
    expect(screen.queryByLabelText("Token")).toBeNull();
    expect(picker.token).toBe("");
    expect((screen.getByLabelText("Astro API token") as HTMLSelectElement).value).toBe("astro");
    expect(screen.getByText("Acme")).toBeTruthy();

    // The journey's cloud is the default filter: the GCP one is hidden until asked for.
    expect(screen.queryByText("Deployment g1")).toBeNull();
    await fireEvent.change(screen.getByLabelText("Cloud"), { target: { value: "" } });
    const gcpRow = await screen.findByTestId("deployment-g1");
    expect(gcpRow.textContent).toContain("Runs on Google Cloud");
    expect((gcpRow.querySelector("input") as HTMLInputElement).disabled).toBe(true);
    const creating = screen.getByTestId("deployment-a3");
    expect(creating.textContent).toContain("no workload identity");

    await fireEvent.click(screen.getByRole("button", { name: "Pick all shown" }));
    expect(picker.selected).toEqual(["a1", "a2"]);
    expect(picker.identities).toEqual([
      "arn:aws:iam::123456789012:role/astro-ns-a1",
      "arn:aws:iam::123456789012:role/astro-ns-a2",
    ]);
    expect(screen.getByTestId("deployment-a2").textContent).toContain("customer-managed");
    expect(screen.getByRole("note").textContent).toContain("customer-managed identity");

    await fireEvent.input(screen.getByLabelText("Search"), { target: { value: "a1" } });
    await waitFor(() => expect(screen.queryByText("Deployment a2")).toBeNull());
    expect(screen.getByText("Deployment a1")).toBeTruthy();
  });

  it("shows why the token was refused", async () => {
    mockIPC((cmd) => {
      if (cmd === "astro_token_sources") return [];
      if (cmd === "astro_connect") {
        throw {
          code: "credentials",
          message: "no usable Astro API token: HTTP 401",
          hint: "Create a token",
          field: null,
        };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    const picker = new Picker("GCP");
    render(DeploymentPicker, { picker });
    await fireEvent.input(screen.getByLabelText("Token"), { target: { value: "bad" } });
    await fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("HTTP 401");
    expect(alert.textContent).toContain("Create a token");
    expect(picker.account).toBeNull();
  });

  it("stops loading between pages when cancelled, and offers to load the rest", async () => {
    let release: () => void = () => {};
    const offsets: number[] = [];
    mockIPC((cmd, raw) => {
      const args = (raw ?? {}) as Record<string, unknown>;
      switch (cmd) {
        case "astro_token_sources":
          return [{ kind: "env" }];
        case "astro_connect":
          return { source: "ASTRO_API_TOKEN", organizations: [{ id: "clorg", name: "Acme" }] };
        case "astro_workspaces":
          return [];
        case "astro_deployment_page": {
          offsets.push(Number(args.offset));
          const page = { deployments: PAGES[0], offset: 0, totalCount: 4, nextOffset: 3 };
          // The first page is held until the test has pressed Cancel.
          return new Promise((resolve) => (release = () => resolve(page)));
        }
        default:
          throw new Error(`unexpected command ${cmd}`);
      }
    });
    const picker = new Picker("AWS");
    render(DeploymentPicker, { picker });
    await waitFor(() =>
      expect((screen.getByLabelText("Astro API token") as HTMLSelectElement).value).toBe("env"),
    );
    await fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    const progress = await screen.findByTestId("deployments-progress");
    expect(progress.textContent).toContain("Loaded 0 of");
    await waitFor(() => expect(offsets).toEqual([0]));
    await fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    release();
    await screen.findByText(/Stopped after 3 of 4 Deployments/);
    expect(offsets).toEqual([0]);
    expect(picker.deployments.map((d) => d.id)).toEqual(["a1", "g1", "a2"]);
  });
});
