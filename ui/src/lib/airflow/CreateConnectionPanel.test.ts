import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import CreateConnectionPanel from "./CreateConnectionPanel.svelte";
import ProviderCheckPanel from "./ProviderCheckPanel.svelte";
import type { ConnectionInput } from "../ipc";

const INPUT: ConnectionInput = {
  kind: "aws",
  input: {
    connId: "aws_default",
    roleArn: "arn:aws:iam::123456789012:role/astro-data",
    region: "us-east-1",
    externalId: null,
    webIdentity: false,
  },
};

const pause = (ms = 50) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("CreateConnectionPanel", () => {
  it("replaces an existing connection only after confirmation, and clears the token field", async () => {
    const calls: { cmd: string; args: Record<string, unknown> }[] = [];
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: args as Record<string, unknown> });
      if (cmd === "airflow_connection_plan") {
        return {
          planId: "plan-7",
          plan: {
            target: "the Airflow at http://localhost:8080",
            connId: "aws_default",
            action: "replace",
            existing: null,
            proposed: "{}",
            diff: [
              { kind: "removed", text: '  "role_arn": "arn:aws:iam::123456789012:role/old"' },
              { kind: "added", text: '  "role_arn": "arn:aws:iam::123456789012:role/astro-data"' },
            ],
            hiddenKeys: ["aws_secret_access_key"],
            undoAvailable: false,
          },
        };
      }
      if (cmd === "airflow_connection_apply") {
        return {
          target: "the Airflow at http://localhost:8080",
          connId: "aws_default",
          action: "replace",
          written: true,
          journalId: "j-1",
          verified: true,
          undoAvailable: false,
        };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(CreateConnectionPanel, { input: () => INPUT });
    await fireEvent.input(screen.getByLabelText("Airflow URL"), {
      target: { value: "http://localhost:8080" },
    });
    await fireEvent.input(screen.getByLabelText("API token"), { target: { value: "tok-123" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check the connection" }));
    await pause();

    expect(calls[0]).toEqual({
      cmd: "airflow_connection_plan",
      args: {
        destination: { kind: "airflow", baseUrl: "http://localhost:8080", tokenProfile: "airflow" },
        input: INPUT,
        token: "tok-123",
      },
    });
    expect((screen.getByLabelText("API token") as HTMLInputElement).value).toBe("");
    const plan = screen.getByTestId("connection-plan");
    expect(plan.textContent).toContain("already has a different connection");
    expect(plan.textContent).toContain("aws_secret_access_key");
    expect(plan.textContent).toContain("cannot be undone");

    const replace = screen.getByRole("button", { name: "Replace connection" }) as HTMLButtonElement;
    expect(replace.disabled).toBe(true);
    await fireEvent.click(screen.getByRole("checkbox"));
    expect(replace.disabled).toBe(false);
    await fireEvent.click(replace);
    await pause();
    expect(calls[1]).toEqual({
      cmd: "airflow_connection_apply",
      args: { planId: "plan-7", confirmReplace: true },
    });
    expect(screen.getByTestId("connection-outcome").textContent).toContain("Written and verified");
    // Not undoable: no undo offered.
    expect(screen.queryByRole("button", { name: "Undo…" })).toBeNull();
  });

  it("shows a refused token with its hint and keeps nothing", async () => {
    mockIPC(() => {
      throw {
        code: "credentials",
        message: "the Airflow at http://localhost:8080 refused the token",
        hint: "Create a new API token.",
        field: null,
      };
    });
    render(CreateConnectionPanel, { input: () => INPUT });
    await fireEvent.input(screen.getByLabelText("API token"), { target: { value: "bad" } });
    await fireEvent.click(screen.getByRole("button", { name: "Check the connection" }));
    await pause();
    expect(screen.getByRole("alert").textContent).toContain(
      "refused the token. Create a new API token.",
    );
    expect(screen.getByRole("alert").textContent).not.toContain("bad");
    expect(screen.queryByTestId("connection-plan")).toBeNull();
  });
});

describe("ProviderCheckPanel", () => {
  it("finds the provider missing, adds it, and can take it out again", async () => {
    let present = false;
    mockIPC((cmd) => {
      if (cmd === "airflow_provider_check") {
        return {
          requirementsPath: "/p/requirements.txt",
          exists: true,
          provider: "apache-airflow-providers-amazon",
          requirementLine: "apache-airflow-providers-amazon",
          found: present
            ? { file: "/p/requirements.txt", line: 3, text: "apache-airflow-providers-amazon" }
            : null,
          includes: [],
          problems: [],
        };
      }
      if (cmd === "airflow_add_provider") {
        present = true;
        return {
          requirementsPath: "/p/requirements.txt",
          appended: "apache-airflow-providers-amazon\n",
          created: false,
          journalId: "j-9",
        };
      }
      if (cmd === "airflow_undo_provider") {
        present = false;
        return {
          requirementsPath: "/p/requirements.txt",
          removed: "apache-airflow-providers-amazon\n",
          fileRemoved: false,
          journalId: "j-10",
        };
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(ProviderCheckPanel, { input: () => INPUT });
    await fireEvent.input(screen.getByLabelText("Astro project folder"), {
      target: { value: "/p" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Check" }));
    await pause();
    expect(screen.getByTestId("provider-result").textContent).toContain("is not in");
    await fireEvent.click(
      screen.getByRole("button", { name: "Add apache-airflow-providers-amazon" }),
    );
    await pause();
    expect(screen.getByTestId("provider-added").textContent).toContain("every other byte");
    expect(screen.getByTestId("provider-result").textContent).toContain("line 3");
    await fireEvent.click(screen.getByRole("button", { name: "Undo…" }));
    await fireEvent.click(screen.getByRole("button", { name: "Remove the line again" }));
    await pause();
    expect(screen.getByTestId("provider-removed").textContent).toContain("Removed");
    expect(screen.getByTestId("provider-result").textContent).toContain("is not in");
  });
});
