import { backend } from "../ipc";
import type {
  AstroTokenSource,
  AwsTarget,
  GcpTarget,
  HistoryItem,
  HistoryStatus,
  UndoOutcome,
  UndoPlan,
} from "../ipc";
import { Runner } from "../ui/runner.svelte";

export const STATUS_LABEL: Record<HistoryStatus, string> = {
  applied: "Applied",
  failed: "Failed",
  interrupted: "Interrupted",
  undone: "Undone",
  unknown: "Unknown",
};

const CLOUD_LABEL: Record<string, string> = {
  aws: "AWS",
  gcp: "GCP",
  airflow: "Airflow",
  astro: "Astro",
  "astro-deployment": "Astro",
  project: "Project",
};

export function cloudLabel(cloud: string): string {
  return CLOUD_LABEL[cloud] ?? cloud;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** An RFC 3339 time in the user's locale and time zone; the text as is when it does not parse. */
export function localTime(rfc3339: string): string {
  const ms = Date.parse(rfc3339);
  return Number.isNaN(ms) ? rfc3339 : timeFormat.format(ms);
}

/**
 * The History screen's state: every journaled change, newest first (as Rust lists them), and
 * one undo at a time: preview (Rust reads the resource and computes the diff), then apply
 * exactly that preview. Errors and progress belong to the selected entry when there is one,
 * to the list otherwise.
 */
export class JournalHistory extends Runner {
  /** Null until the journal was read. */
  items = $state<HistoryItem[] | null>(null);
  /** The AWS profile undos use; "" is the default credential chain. */
  profile = $state("");
  /** Where an Astro API token can come from here (for a Deployment's identity change). */
  astroSources = $state<AstroTokenSource[]>([]);
  /** The chosen one: "env" or a keyring profile; "" when there is none. */
  astroSource = $state("");
  /** The entry whose undo is being previewed, applied, or failed. */
  selectedId = $state<string | null>(null);
  plan = $state<UndoPlan | null>(null);
  outcome = $state<UndoOutcome | null>(null);
  /** Why the preview was read again, or dropped. */
  notice = $state<string | null>(null);

  readonly selected = $derived(this.items?.find((i) => i.journalId === this.selectedId) ?? null);

  /** Built as the home screen's interrupted-changes check builds it. */
  awsTarget(): AwsTarget {
    const source = this.profile
      ? { kind: "profile" as const, name: this.profile }
      : { kind: "defaultChain" as const };
    return { source, region: null, endpointUrl: null };
  }

  astroTarget(): AstroTokenSource | null {
    if (!this.astroSource) return null;
    return this.astroSource === "env"
      ? { kind: "env" }
      : { kind: "keyring", profile: this.astroSource };
  }

  async loadAstroSources(): Promise<void> {
    const sources = await backend.astroTokenSources();
    if (sources.status !== "ok") return;
    this.astroSources = sources.data;
    const first = sources.data[0];
    if (!this.astroSource && first) this.astroSource = first.kind === "env" ? "env" : first.profile;
  }

  gcpTarget(): GcpTarget {
    return { source: { kind: "adc" }, endpoint: null };
  }

  async load(): Promise<void> {
    const items = await this.run("Reading the journal…", () => backend.journalHistory());
    if (items) this.items = items;
  }

  /** Reads the journal again, leaving any undo that was under way. */
  async reload(): Promise<void> {
    this.cancel();
    await this.load();
  }

  async preview(journalId: string): Promise<boolean> {
    const item = this.items?.find((i) => i.journalId === journalId);
    if (!item) return false;
    this.selectedId = journalId;
    this.plan = null;
    this.outcome = null;
    this.notice = null;
    this.plan = await this.run("Reading the resource…", () =>
      backend.journalPlanUndo({
        journalId,
        aws: item.cloud === "aws" ? this.awsTarget() : null,
        gcp: item.cloud === "gcp" ? this.gcpTarget() : null,
        astro: item.cloud === "astro-deployment" ? this.astroTarget() : null,
      }),
    );
    return this.plan !== null;
  }

  async apply(): Promise<boolean> {
    const plan = this.plan;
    if (!plan || !plan.changed) return false;
    const outcome = await this.run("Undoing, then reading it back…", () =>
      backend.journalApplyUndo(plan.planId),
    );
    // A preview is applied once: after a refusal it is stale either way.
    this.plan = null;
    if (!outcome) {
      if (this.error?.code === "plan_expired" && (await this.preview(plan.journalId))) {
        this.notice = "That preview had expired, so it was read again. Check it, then apply.";
      }
      return false;
    }
    this.outcome = outcome;
    await this.load();
    return true;
  }

  /** Credentials of `cloud` changed: a preview read with the old ones is not what Apply sends. */
  credentialsChanged(cloud: "aws" | "astro-deployment" = "aws") {
    if (this.selected?.cloud !== cloud || !this.plan) return;
    this.plan = null;
    this.notice =
      cloud === "aws"
        ? "The AWS profile changed: preview the undo again with it."
        : "The Astro API token changed: preview the undo again with it.";
  }

  async openConsole(url: string): Promise<void> {
    await this.run("Opening the console…", () => backend.openConsole(url));
  }

  cancel() {
    this.selectedId = null;
    this.plan = null;
    this.outcome = null;
    this.notice = null;
    this.error = null;
  }
}
