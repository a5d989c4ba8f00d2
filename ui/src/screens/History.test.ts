import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import History from "./History.svelte";
import type { HistoryItem, UndoPlan } from "../lib/ipc";

const ROLE_CHANGE = "Trust policy of role data: added arn:aws:iam::111122223333:role/astro-x";

function item(overrides: Partial<HistoryItem> & { journalId: string }): HistoryItem {
  return {
    time: "2026-11-26T10:00:00Z",
    cloud: "aws",
    place: "account 123456789012",
    summary: ROLE_CHANGE,
    status: "applied",
    reason: null,
    undoes: null,
    undoneBy: null,
    undoable: true,
    whyNotUndoable: null,
    ...overrides,
  };
}

const ENTRIES: HistoryItem[] = [
  item({ journalId: "j-aws", time: "2026-11-26T12:00:00Z" }),
  item({
    journalId: "j-gcp",
    time: "2026-11-26T11:00:00Z",
    cloud: "gcp",
    place: "project astro-data",
    summary: "IAM policy of project astro-data: granted roles/bigquery.dataViewer",
  }),
  item({
    journalId: "j-failed",
    time: "2026-11-26T10:00:00Z",
    summary: "Trust policy of role ops: added arn:aws:iam::111122223333:role/astro-y",
    status: "failed",
    reason: "IAM refused the policy: MalformedPolicyDocument",
    undoable: false,
    whyNotUndoable: "It was never applied.",
  }),
  item({
    journalId: "j-undo",
    time: "2026-11-25T09:30:00Z",
    cloud: "airflow",
    place: "http://localhost:8080",
    summary: "Connection aws_default: deleted again",
    undoes: "j-conn",
    undoable: false,
    whyNotUndoable: "It is an undo itself.",
  }),
  item({
    journalId: "j-conn",
    time: "2026-11-25T09:00:00Z",
    cloud: "airflow",
    place: "http://localhost:8080",
    summary: "Connection aws_default: created",
    status: "undone",
    undoneBy: "j-undo",
    undoable: false,
    whyNotUndoable: "It was undone already.",
  }),
  item({
    journalId: "j-interrupted",
    time: "2026-11-24T08:00:00Z",
    cloud: "project",
    place: "/home/ada/proj",
    summary: "requirements.txt: appended apache-airflow-providers-amazon",
    status: "interrupted",
    undoable: false,
    whyNotUndoable: "It has not been settled yet.",
  }),
  item({
    journalId: "j-unknown",
    time: "2026-11-23T08:00:00Z",
    status: "unknown",
    reason: "Someone else changed the role since.",
    undoable: false,
    whyNotUndoable: "Whether it landed cannot be told.",
  }),
];

const PLAN: UndoPlan = {
  planId: "plan-1",
  journalId: "j-aws",
  summary: "Remove arn:aws:iam::111122223333:role/astro-x from the trust policy of role data",
  resource: "role data in account 123456789012",
  diff: [
    { kind: "same", text: '      "AWS": [' },
    { kind: "removed", text: '        "arn:aws:iam::111122223333:role/astro-x",' },
    { kind: "same", text: '        "arn:aws:iam::123456789012:role/ci"' },
  ],
  kept: ["arn:aws:iam::123456789012:role/ci was added by someone else since, and stays."],
  changed: true,
};

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

const sent = (calls: Call[], cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args);
const pause = (ms = 50) => new Promise((r) => setTimeout(r, ms));

function ipcError(code: string, message: string, hint: string) {
  return { code, message, hint, field: null };
}

async function renderHistory(awsProfiles: string[] = ["prod", "dev"]) {
  const exits: number[] = [];
  render(History, { awsProfiles, onexit: () => exits.push(1) });
  await screen.findByRole("list", { name: "Journaled changes" });
  return exits;
}

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("History", () => {
  it("lists every change with its status, and Undo only where it can be undone", async () => {
    backend({ journal_history: () => ENTRIES });
    const exits = await renderHistory();

    expect(screen.getByRole("heading", { level: 1 }).textContent).toBe("History");
    const list = screen.getByRole("list", { name: "Journaled changes" });
    const rows = within(list).getAllByRole("listitem");
    expect(rows.map((r) => r.dataset.testid)).toEqual(ENTRIES.map((e) => `entry-${e.journalId}`));

    const status = (id: string) => screen.getByTestId(`entry-${id}`).querySelector(".status");
    expect(status("j-aws")?.textContent).toBe("Applied");
    expect(status("j-failed")?.textContent).toBe("Failed");
    expect(status("j-interrupted")?.textContent).toBe("Interrupted");
    expect(status("j-conn")?.textContent).toBe("Undone");
    expect(status("j-unknown")?.textContent).toBe("Unknown");

    const aws = screen.getByTestId("entry-j-aws");
    expect(aws.textContent).toContain(ROLE_CHANGE);
    expect(aws.textContent).toContain("account 123456789012");
    expect(aws.querySelector(".cloud")?.textContent).toBe("AWS");
    const time = aws.querySelector("time");
    expect(time?.getAttribute("datetime")).toBe("2026-11-26T12:00:00Z");
    expect(time?.getAttribute("title")).toBe("2026-11-26T12:00:00Z");
    expect(time?.textContent).not.toBe("2026-11-26T12:00:00Z");

    const failed = screen.getByTestId("entry-j-failed");
    expect(failed.textContent).toContain("IAM refused the policy: MalformedPolicyDocument");
    expect(failed.textContent).toContain("It was never applied.");
    expect(screen.getByTestId("entry-j-conn").textContent).toContain("Undone by the undo of");
    expect(screen.getByTestId("entry-j-undo").textContent).toContain(
      "Undoes “Connection aws_default: created” of",
    );
    expect(screen.getByTestId("entry-j-interrupted").querySelector(".cloud")?.textContent).toBe(
      "Project",
    );

    const undoButtons = screen.getAllByRole("button", { name: /^Undo: / });
    expect(undoButtons.map((b) => b.dataset.testid)).toEqual(["undo-j-aws", "undo-j-gcp"]);
    expect(undoButtons[0]?.getAttribute("aria-label")).toBe(`Undo: ${ROLE_CHANGE}`);
    expect(undoButtons[0]?.textContent).toBe("Undo…");

    await fireEvent.click(screen.getByRole("button", { name: "← Home" }));
    expect(exits).toEqual([1]);
  });

  it("filters by status and by text", async () => {
    backend({ journal_history: () => ENTRIES });
    await renderHistory();
    const list = screen.getByRole("list", { name: "Journaled changes" });

    await fireEvent.change(screen.getByLabelText("Status"), { target: { value: "applied" } });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((r) => r.dataset.testid),
    ).toEqual(["entry-j-aws", "entry-j-gcp", "entry-j-undo"]);
    await fireEvent.input(screen.getByLabelText("Search"), { target: { value: "BIGQUERY" } });
    expect(
      within(list)
        .getAllByRole("listitem")
        .map((r) => r.dataset.testid),
    ).toEqual(["entry-j-gcp"]);
    expect(screen.getByText("1 of 7")).toBeTruthy();
    await fireEvent.input(screen.getByLabelText("Search"), {
      target: { value: "nothing like it" },
    });
    expect(list.textContent).toContain("No change matches the filter.");
  });

  it("previews an AWS undo with the chosen profile, applies it and reloads", async () => {
    let entries = ENTRIES;
    const calls = backend({
      journal_history: () => entries,
      journal_plan_undo: () => PLAN,
      journal_apply_undo: () => {
        entries = [
          item({
            journalId: "j-new",
            time: "2026-11-26T13:00:00Z",
            summary: PLAN.summary,
            undoes: "j-aws",
            undoable: false,
            whyNotUndoable: "It is an undo itself.",
          }),
          { ...ENTRIES[0]!, status: "undone", undoneBy: "j-new", undoable: false },
          ...ENTRIES.slice(1),
        ];
        return {
          journalId: "j-new",
          verified: true,
          summary: "Role data in account 123456789012 trusts what it trusted before.",
          consoleUrl: "https://console.aws.amazon.com/iam/home#/roles/details/data",
        };
      },
      open_console: () => null,
    });
    await renderHistory();

    await fireEvent.change(screen.getByLabelText("AWS profile"), { target: { value: "prod" } });
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    const preview = await screen.findByTestId("undo-preview");
    expect(sent(calls, "journal_plan_undo")).toEqual([
      {
        request: {
          journalId: "j-aws",
          aws: { source: { kind: "profile", name: "prod" }, region: null, endpointUrl: null },
          gcp: null,
          astro: null,
        },
      },
    ]);
    expect(preview.textContent).toContain(PLAN.summary);
    expect(preview.textContent).toContain("Resource: role data in account 123456789012");
    const diff = within(preview).getByTestId("diff");
    expect(diff.querySelector(".removed")?.textContent).toBe(
      '-Removed:         "arn:aws:iam::111122223333:role/astro-x",',
    );
    expect(diff.querySelectorAll(".line").length).toBe(3);
    const kept = within(preview).getByRole("list", {
      name: "Kept: changes made since by others",
    });
    expect(kept.textContent).toBe(
      "arn:aws:iam::123456789012:role/ci was added by someone else since, and stays.",
    );
    await waitFor(() => expect(document.activeElement).toBe(preview));

    await fireEvent.click(screen.getByTestId("apply-undo"));
    const result = await screen.findByTestId("undo-result");
    expect(sent(calls, "journal_apply_undo")).toEqual([{ planId: "plan-1" }]);
    expect(result.querySelector("p")?.textContent?.trim().replace(/\s+/g, " ")).toBe(
      "Undone. Verified by reading it back. Role data in account 123456789012 trusts what it trusted before.",
    );
    await waitFor(() => expect(document.activeElement).toBe(result));
    expect(screen.queryByTestId("undo-preview")).toBeNull();

    // Reloaded: the row says Undone and offers no Undo; the undo entry is listed first.
    expect(sent(calls, "journal_history").length).toBe(2);
    const row = screen.getByTestId("entry-j-aws");
    expect(row.querySelector(".status")?.textContent).toBe("Undone");
    expect(screen.queryByTestId("undo-j-aws")).toBeNull();
    const list = screen.getByRole("list", { name: "Journaled changes" });
    expect(within(list).getAllByRole("listitem")[0]?.dataset.testid).toBe("entry-j-new");

    await fireEvent.click(within(result).getByRole("button", { name: "Open in the console" }));
    await pause();
    expect(sent(calls, "open_console")).toEqual([
      { url: "https://console.aws.amazon.com/iam/home#/roles/details/data" },
    ]);
  });

  it("previews a GCP undo with ADC and offers no apply when nothing changed", async () => {
    const calls = backend({
      journal_history: () => ENTRIES,
      journal_plan_undo: () => ({
        ...PLAN,
        planId: "plan-2",
        journalId: "j-gcp",
        summary: "Remove serviceAccount:astro@x.iam.gserviceaccount.com from roles/bigquery",
        resource: "project astro-data",
        diff: [],
        kept: [],
        changed: false,
      }),
    });
    await renderHistory();
    expect(screen.getByText(/Application Default Credentials/)).toBeTruthy();

    await fireEvent.click(screen.getByTestId("undo-j-gcp"));
    const preview = await screen.findByTestId("undo-preview");
    expect(sent(calls, "journal_plan_undo")).toEqual([
      {
        request: {
          journalId: "j-gcp",
          aws: null,
          gcp: { source: { kind: "adc" }, endpoint: null },
          astro: null,
        },
      },
    ]);
    expect(preview.textContent).toContain("Nothing to undo: it is already as before");
    expect(within(preview).queryByTestId("apply-undo")).toBeNull();
    expect(within(preview).queryByText(/^Kept:/)).toBeNull();

    await fireEvent.click(within(preview).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByTestId("undo-preview")).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("undo-j-gcp")));
  });

  it("offers Preview again when the resource moved since the preview", async () => {
    let plans = 0;
    const calls = backend({
      journal_history: () => ENTRIES,
      journal_plan_undo: () => {
        plans += 1;
        return plans === 1 ? PLAN : { ...PLAN, planId: "plan-3", kept: [] };
      },
      journal_apply_undo: () => {
        throw ipcError(
          "remote_changed",
          "The trust policy of role data changed since the preview",
          "Preview the undo again.",
        );
      },
    });
    await renderHistory();
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    await screen.findByTestId("undo-preview");
    await fireEvent.click(screen.getByTestId("apply-undo"));

    const error = await screen.findByTestId("undo-error");
    expect(error.textContent).toContain("The trust policy of role data changed since the preview");
    expect(error.textContent).toContain("Preview the undo again.");
    // The stale preview is gone: it cannot be applied.
    expect(screen.queryByTestId("undo-preview")).toBeNull();
    const again = within(error).getByRole("button", { name: "Preview again" });
    await waitFor(() => expect(document.activeElement).toBe(again));

    await fireEvent.click(again);
    const preview = await screen.findByTestId("undo-preview");
    expect(sent(calls, "journal_plan_undo").length).toBe(2);
    expect(screen.queryByTestId("undo-error")).toBeNull();
    expect(within(preview).queryByText(/^Kept:/)).toBeNull();
    await fireEvent.click(screen.getByTestId("apply-undo"));
    await pause();
    expect(sent(calls, "journal_apply_undo")).toEqual([{ planId: "plan-1" }, { planId: "plan-3" }]);
  });

  it("shows a credentials error's hint and puts focus on the profile picker", async () => {
    backend({
      journal_history: () => ENTRIES,
      journal_plan_undo: () => {
        throw ipcError(
          "credentials",
          "The SSO session of profile prod has expired",
          "Run aws sso login --profile prod, then preview again.",
        );
      },
    });
    await renderHistory();
    await fireEvent.change(screen.getByLabelText("AWS profile"), { target: { value: "prod" } });
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    const error = await screen.findByTestId("undo-error");
    expect(error.textContent).toContain("The SSO session of profile prod has expired");
    expect(error.textContent).toContain("Run aws sso login --profile prod, then preview again.");
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText("AWS profile")));
    expect(within(error).getByRole("button", { name: "Preview again" })).toBeTruthy();
    expect(screen.queryByTestId("undo-preview")).toBeNull();
  });

  it("drops an AWS preview when the profile changes", async () => {
    const calls = backend({ journal_history: () => ENTRIES, journal_plan_undo: () => PLAN });
    await renderHistory();
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    await screen.findByTestId("undo-preview");
    await fireEvent.change(screen.getByLabelText("AWS profile"), { target: { value: "dev" } });
    expect(screen.queryByTestId("undo-preview")).toBeNull();
    expect(screen.getByRole("status").textContent).toBe(
      "The AWS profile changed: preview the undo again with it.",
    );
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    await screen.findByTestId("undo-preview");
    expect(sent(calls, "journal_plan_undo")[1]).toEqual({
      request: {
        journalId: "j-aws",
        aws: { source: { kind: "profile", name: "dev" }, region: null, endpointUrl: null },
        gcp: null,
        astro: null,
      },
    });
  });

  it("previews again on its own when the preview expired", async () => {
    let plans = 0;
    const calls = backend({
      journal_history: () => ENTRIES,
      journal_plan_undo: () => ({ ...PLAN, planId: `plan-${++plans}` }),
      journal_apply_undo: () => {
        throw ipcError("plan_expired", "That preview is no longer kept", "Preview again.");
      },
    });
    await renderHistory();
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    await screen.findByTestId("undo-preview");
    await fireEvent.click(screen.getByTestId("apply-undo"));
    await pause();
    expect(sent(calls, "journal_plan_undo").length).toBe(2);
    const preview = screen.getByTestId("undo-preview");
    expect(screen.getByRole("status").textContent).toBe(
      "That preview had expired, so it was read again. Check it, then apply.",
    );
    expect(screen.getByTestId("apply-undo")).toBeTruthy();
    await waitFor(() => expect(document.activeElement).toBe(preview));
  });

  it("says so when there is no change yet", async () => {
    backend({ journal_history: () => [] });
    render(History, { awsProfiles: [], onexit: () => {} });
    expect(
      await screen.findByText("No changes yet — every change the app makes is listed here."),
    ).toBeTruthy();
    expect(screen.queryByRole("list", { name: "Journaled changes" })).toBeNull();
  });

  it("shows the journal's read error with its hint", async () => {
    backend({
      journal_history: () => {
        throw ipcError("journal", "The journal could not be read", "Check the app data folder.");
      },
    });
    render(History, { awsProfiles: [], onexit: () => {} });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("The journal could not be read");
    expect(alert.textContent).toContain("Check the app data folder.");
  });

  it("undoes a Deployment's identity change with the Astro token chosen, and says when there is none", async () => {
    const identity = item({
      journalId: "j-identity",
      cloud: "astro-deployment",
      place: "Astro organization clorg",
      summary:
        "Workload identity of Deployment Sales ETL: set to arn:aws:iam::123456789012:role/data",
    });
    const calls = backend({
      journal_history: () => [identity],
      astro_token_sources: () => [{ kind: "env" }, { kind: "keyring", profile: "astro" }],
      journal_plan_undo: () => ({ ...PLAN, journalId: "j-identity" }),
    });
    await renderHistory();
    expect(screen.getByText("Astro")).toBeTruthy();
    const token = (await screen.findByLabelText("Astro API token")) as HTMLSelectElement;
    await waitFor(() => expect(token.value).toBe("env"));
    await fireEvent.change(token, { target: { value: "astro" } });
    await fireEvent.click(screen.getByTestId("undo-j-identity"));
    await screen.findByTestId("undo-preview");
    expect(sent(calls, "journal_plan_undo")[0]).toEqual({
      request: {
        journalId: "j-identity",
        aws: null,
        gcp: null,
        astro: { kind: "keyring", profile: "astro" },
      },
    });
    await fireEvent.change(token, { target: { value: "env" } });
    expect(screen.queryByTestId("undo-preview")).toBeNull();
    expect(screen.getByRole("status").textContent).toBe(
      "The Astro API token changed: preview the undo again with it.",
    );
  });

  it("tells where to add an Astro token when this machine has none", async () => {
    backend({ journal_history: () => ENTRIES, astro_token_sources: () => [] });
    await renderHistory();
    expect(screen.queryByLabelText("Astro API token")).toBeNull();
    expect(
      screen.getByText(/needs an Astro API token/).textContent?.replace(/\s+/g, " "),
    ).toContain("add one from a journey's Deployment picker");
  });
});
