import { backend } from "../ipc";
import type {
  AstroAccess,
  AstroAccount,
  AstroTokenSource,
  CloudProvider,
  Deployment,
  Workspace,
} from "../ipc";
import { Runner } from "../ui/runner.svelte";
import { unique } from "../ui/unique";
import { astroAccounts } from "./accounts.svelte";

/** The cloud a journey writes to; a Deployment elsewhere cannot be picked for it. */
export type JourneyCloud = "AWS" | "GCP";

const CLOUD_NAMES: Record<CloudProvider, string> = {
  AWS: "AWS",
  GCP: "Google Cloud",
  AZURE: "Azure",
  OTHER: "an unknown cloud",
};

export function cloudName(cloud: CloudProvider): string {
  return CLOUD_NAMES[cloud];
}

/** Why a Deployment cannot be picked for `cloud`, or null when it can. */
export function ineligible(deployment: Deployment, cloud: JourneyCloud): string | null {
  if (deployment.cloudProvider !== cloud) {
    const where = cloudName(deployment.cloudProvider);
    return deployment.cloudProvider === "AWS" || deployment.cloudProvider === "GCP"
      ? `Runs on ${where}: authorize it in the ${where} journey instead.`
      : `Runs on ${where}, which this app does not support yet.`;
  }
  if (!deployment.workloadIdentity) {
    return "Has no workload identity yet (still being created?).";
  }
  return null;
}

/** "ASTRO_API_TOKEN" or the keyring profile's name, as the token select lists them. */
export function sourceLabel(source: AstroTokenSource): string {
  return source.kind === "env" ? "ASTRO_API_TOKEN" : `Keyring: ${source.profile}`;
}

/**
 * Deployments from the Astro API, to pick from instead of pasting identities: the token's
 * organizations, then every page of Deployments with progress and a cancel between pages.
 */
export class DeploymentPicker extends Runner {
  /** Where the token comes from; "new" pastes one, kept in the OS keyring under `profile`. */
  sources = $state<AstroTokenSource[]>([]);
  sourceKey = $state("new");
  profile = $state("astro");
  token = $state("");
  baseUrl = $state("");

  account = $state<AstroAccount | null>(null);
  organizationId = $state("");
  workspaces = $state<Workspace[]>([]);
  deployments = $state<Deployment[]>([]);
  total = $state(0);
  loading = $state(false);
  private stopRequested = false;

  query = $state("");
  workspaceFilter = $state("");
  cloudFilter = $state<"" | CloudProvider>("");
  selected = $state<string[]>([]);

  constructor(readonly cloud: JourneyCloud) {
    super();
    this.cloudFilter = cloud;
  }

  /** The Deployments the filters and search leave: those this journey can use first, then
   * the API's order. */
  get visible(): Deployment[] {
    const words = this.query.trim().toLowerCase();
    const usable = (d: Deployment) => (ineligible(d, this.cloud) ? 1 : 0);
    return this.deployments
      .filter(
        (d) =>
          (!this.workspaceFilter || d.workspaceId === this.workspaceFilter) &&
          (!this.cloudFilter || d.cloudProvider === this.cloudFilter) &&
          (!words ||
            [d.name, d.id, d.namespace, d.workspaceName ?? "", d.workloadIdentity ?? ""].some((f) =>
              f.toLowerCase().includes(words),
            )),
      )
      .sort((a, b) => usable(a) - usable(b));
  }

  /** The picked Deployments, in the order they are listed. */
  get picked(): Deployment[] {
    return this.deployments.filter((d) => this.selected.includes(d.id));
  }

  /** The picked Deployments' identities (role ARNs or service-account emails). */
  get identities(): string[] {
    return this.picked.flatMap((d) => (d.workloadIdentity ? [d.workloadIdentity] : []));
  }

  access(): AstroAccess {
    const source: AstroTokenSource =
      this.sourceKey === "env"
        ? { kind: "env" }
        : {
            kind: "keyring",
            profile: this.sourceKey === "new" ? this.profile.trim() : this.sourceKey,
          };
    return { source, baseUrl: this.baseUrl.trim() || null };
  }

  async loadSources() {
    const sources = await backend.astroTokenSources();
    if (sources.status !== "ok") return;
    this.sources = sources.data;
    const first = sources.data[0];
    if (this.sourceKey === "new" && first) {
      this.sourceKey = first.kind === "env" ? "env" : first.profile;
    }
    if (!this.baseUrl) this.baseUrl = astroAccounts.baseUrlFor(this.sourceKey) ?? "";
  }

  /** Checks the token (storing a pasted one), then loads the Deployments. */
  async connect(): Promise<boolean> {
    const token = this.sourceKey === "new" ? this.token : "";
    const account = await this.run("Asking the Astro API which organizations the token sees…", () =>
      backend.astroConnect(this.access(), token.trim() || null),
    );
    // Stored in the keyring by now (or refused): the field never keeps it.
    this.token = "";
    if (!account) return false;
    if (this.sourceKey === "new") {
      const profile = this.profile.trim();
      if (!this.sources.some((s) => s.kind === "keyring" && s.profile === profile)) {
        this.sources = [...this.sources, { kind: "keyring", profile }];
      }
      this.sourceKey = profile;
    }
    this.account = account;
    const access = this.access();
    astroAccounts.remember(access.source, account, access.baseUrl ?? null);
    const only = account.organizations.length === 1 ? account.organizations[0] : undefined;
    const kept = account.organizations.some((o) => o.id === this.organizationId);
    if (!kept) this.organizationId = only?.id ?? "";
    if (this.organizationId) await this.load();
    return true;
  }

  /** Every page of the organization's Deployments, stopping early when cancelled. */
  async load() {
    const organizationId = this.organizationId;
    if (!organizationId) return;
    this.deployments = [];
    this.total = 0;
    this.selected = [];
    this.loading = true;
    this.stopRequested = false;
    const workspaces = await backend.astroWorkspaces(this.access(), organizationId);
    // A Deployment token may not list Workspaces: ids are shown instead of names.
    this.workspaces = workspaces.status === "ok" ? workspaces.data : [];
    let offset: number | null = 0;
    while (offset !== null && !this.stopRequested) {
      const from: number = offset;
      const page = await this.run(
        `Loading Deployments… ${this.deployments.length} of ${this.total || "?"}`,
        () => backend.astroDeploymentPage(this.access(), organizationId, [], from),
      );
      if (!page) break;
      const named = page.deployments.map((d) => ({
        ...d,
        workspaceName: this.workspaces.find((w) => w.id === d.workspaceId)?.name ?? null,
      }));
      this.deployments = [...this.deployments, ...named];
      this.total = page.totalCount;
      offset = page.nextOffset;
    }
    this.loading = false;
  }

  /** Stops loading after the page under way. */
  cancel() {
    this.stopRequested = true;
  }

  get stopped(): boolean {
    return !this.loading && this.deployments.length < this.total;
  }

  toggle(deployment: Deployment) {
    if (ineligible(deployment, this.cloud)) return;
    this.selected = this.selected.includes(deployment.id)
      ? this.selected.filter((id) => id !== deployment.id)
      : [...this.selected, deployment.id];
  }

  /** Picks every shown Deployment that can be picked. */
  selectVisible() {
    const ids = this.visible.filter((d) => !ineligible(d, this.cloud)).map((d) => d.id);
    this.selected = unique([...this.selected, ...ids]);
  }

  clear() {
    this.selected = [];
  }
}
