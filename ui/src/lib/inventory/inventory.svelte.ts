import { backend } from "../ipc";
import type {
  AstroMatch,
  AstroTokenSource,
  AwsTarget,
  GcpPlaces,
  InventoryRow,
  PlannedRevoke,
  UndoOutcome,
} from "../ipc";
import { undoEntries } from "../journal/undo-entries";
import { Runner } from "../ui/runner.svelte";

/**
 * The Inventory screen's state: where to read (an AWS profile, GCP projects and service
 * accounts, optionally an Astro token to name the Deployments), the rows read, and one
 * offboarding at a time: planned, reviewed, applied, undoable as a group.
 */
export class Inventory extends Runner {
  // Where to read.
  profile = $state("");
  awsEndpoint = $state("");
  gcpProjects = $state("");
  gcpServiceAccounts = $state("");
  gcpEndpoint = $state("");
  gcpAnonymous = $state(false);
  astroSources = $state<AstroTokenSource[]>([]);
  /** "" (match by shape), "env", or a keyring profile. */
  astroSource = $state("");
  astroBaseUrl = $state("");

  // What was read.
  aws = $state<InventoryRow[] | null>(null);
  gcp = $state<InventoryRow[] | null>(null);

  // Offboarding.
  revoking = $state<PlannedRevoke | null>(null);
  revokedIds = $state<string[] | null>(null);
  undone = $state<UndoOutcome[] | null>(null);

  get rows(): InventoryRow[] {
    return [...(this.aws ?? []), ...(this.gcp ?? [])];
  }

  awsTarget(): AwsTarget {
    const source = this.profile
      ? { kind: "profile" as const, name: this.profile }
      : { kind: "defaultChain" as const };
    return { source, region: null, endpointUrl: this.awsEndpoint.trim() || null };
  }

  gcpPlaces(): GcpPlaces {
    const list = (text: string) =>
      text
        .split(/[\s,]+/)
        .map((t) => t.trim())
        .filter(Boolean);
    return {
      target: {
        source: this.gcpAnonymous ? { kind: "anonymous" } : { kind: "adc" },
        endpoint: this.gcpEndpoint.trim() || null,
      },
      projects: list(this.gcpProjects),
      serviceAccounts: list(this.gcpServiceAccounts),
    };
  }

  astro(): AstroMatch | null {
    if (!this.astroSource) return null;
    const source: AstroTokenSource =
      this.astroSource === "env" ? { kind: "env" } : { kind: "keyring", profile: this.astroSource };
    return { access: { source, baseUrl: this.astroBaseUrl.trim() || null }, organizationId: "" };
  }

  async loadAstroSources(): Promise<void> {
    const sources = await backend.astroTokenSources();
    if (sources.status === "ok") this.astroSources = sources.data;
  }

  async readAws(): Promise<boolean> {
    const rows = await this.run("Listing the account's roles and their trust policies…", () =>
      backend.inventoryAws(this.awsTarget(), this.astro()),
    );
    if (rows) this.aws = rows;
    return rows !== null;
  }

  async readGcp(): Promise<boolean> {
    const rows = await this.run("Reading the IAM policies…", () =>
      backend.inventoryGcp(this.gcpPlaces(), this.astro()),
    );
    if (rows) this.gcp = rows;
    return rows !== null;
  }

  /** Plans removing `identity` from everything read of its cloud. Writes nothing. */
  async planRevoke(row: InventoryRow): Promise<boolean> {
    this.revokedIds = null;
    this.undone = null;
    const aws = row.cloud === "aws";
    this.revoking = await this.run(`Reading every place ${row.identity} holds access…`, () =>
      backend.revokePlan({
        identity: row.identity,
        aws: aws ? this.awsTarget() : null,
        gcp: aws ? null : this.gcpPlaces(),
      }),
    );
    return this.revoking !== null;
  }

  async applyRevoke(): Promise<boolean> {
    const plan = this.revoking;
    if (!plan) return false;
    const ids = await this.run(`Revoking ${plan.identity}…`, () =>
      backend.revokeApply(plan.planId),
    );
    if (!ids) return false;
    this.revokedIds = ids;
    await this.reread(plan.aws.length > 0);
    return true;
  }

  /** Undoes the whole offboarding, newest change first, as History would one by one. */
  async undoRevoke(): Promise<boolean> {
    const ids = this.revokedIds;
    const plan = this.revoking;
    if (!ids || !plan) return false;
    const aws = plan.aws.length > 0;
    const steps = [...ids].reverse().map((journalId) => ({
      journalId,
      what: "Putting a revoked grant back…",
    }));
    this.undone = await undoEntries(this, steps, {
      aws: aws ? this.awsTarget() : null,
      gcp: aws ? null : this.gcpPlaces().target,
      astro: null,
    });
    if (this.undone) await this.reread(aws);
    return this.undone !== null;
  }

  private async reread(aws: boolean) {
    if (aws) await this.readAws();
    else await this.readGcp();
  }

  closeRevoke() {
    this.revoking = null;
    this.revokedIds = null;
    this.undone = null;
  }
}
