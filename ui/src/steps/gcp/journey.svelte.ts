import { backend } from "../../lib/ipc";
import { DeploymentPicker } from "../../lib/astro/picker.svelte";
import { Journey } from "../../lib/journey/journey.svelte";
import { undoEntries, type UndoStep } from "../../lib/journal/undo-entries";
import { unique } from "../../lib/ui/unique";
import type {
  AirflowConnection,
  AttachSaOutcome,
  PlannedAttachSa,
  UndoOutcome,
  ConnectionInput,
  GcpConnectionInput,
  BindingOutcome,
  GcpTarget,
  GrantItemOutcome,
  GrantProgress,
  OfflineGcpInput,
  PlannedGrantBatch,
  ParsedServiceAccount,
  PlannedGrant,
  RoleInfo,
} from "../../lib/ipc";

export const GCP_STEPS = [
  { id: "identity", title: "Deployments" },
  { id: "project", title: "Google Cloud project" },
  { id: "role", title: "Role" },
  { id: "review", title: "Review and apply" },
  { id: "connection", title: "Airflow connection" },
  { id: "done", title: "Done" },
] as const;

/** One grant of a batch, as a key: where it lands and which role. */
export function grantKey(grant: {
  resource: { kind: "project" | "serviceAccount"; id: string };
  role: string;
}): string {
  return `${grant.resource.kind}:${grant.resource.id} ${grant.role}`;
}

/** "project astro-data" or "service account etl@…", for progress lines and summaries. */
export function describe(resource: { kind: "project" | "serviceAccount"; id: string }): string {
  return resource.kind === "project" ? `project ${resource.id}` : `service account ${resource.id}`;
}

export type GcpCredentialChoice =
  | { kind: "adc" }
  | { kind: "keyring"; name: string }
  | { kind: "anonymous" }
  /** No credentials: the plan starts from the pasted policy, then is exported for review. */
  | { kind: "offline" };

/** One run of the GCP journey: what the user entered and what the backend answered. */
export class GcpJourney extends Journey {
  // 1. Deployments: picked from the Astro API, pasted, or both.
  picker = new DeploymentPicker("GCP");
  /**
   * How the Deployments reach the project: their Astro service account is granted a role
   * (the seed's setup), or they are attached to a service account of yours (Customer Managed
   * Identity: it gets the roles, their Astro identity may impersonate it, and their workload
   * identity is set to it).
   */
  mode = $state<"grant" | "attach">("grant");
  serviceAccountText = $state("");
  parsed = $state<ParsedServiceAccount | null>(null);

  /** Every service account to grant to, once each: the picked Deployments' and the pasted one. */
  get serviceAccounts(): string[] {
    const pasted = this.parsed?.member ? [this.serviceAccountText.trim()] : [];
    return unique([...this.picker.identities, ...pasted]);
  }

  /** The members as IAM writes them, for summaries. */
  get members(): string[] {
    const pasted = this.parsed?.member ? [this.parsed.member] : [];
    const picked = this.picker.identities.map((email) => `serviceAccount:${email}`);
    return unique([...picked, ...pasted]);
  }

  /** Ready to go on: someone to grant to, and the pasted text (if any) valid. Attaching
   * needs picked Deployments: their identity is set through the Astro API. */
  get identityReady(): boolean {
    if (this.mode === "attach") return this.picker.picked.length > 0;
    const pastedBroken = this.serviceAccountText.trim() !== "" && !this.parsed?.member;
    return this.serviceAccounts.length > 0 && !pastedBroken;
  }

  // 2. Project
  credential = $state<GcpCredentialChoice>({ kind: "adc" });
  endpoint = $state("");
  project = $state("");
  /** More projects to grant the same roles on, separated by spaces or commas (optional). */
  moreProjects = $state("");

  /** Every project the grants go to, once each: the first one and the others typed. The
   * others count only where the field is offered: grants of roles on projects, online. */
  get projects(): string[] {
    const offered = this.mode === "grant" && this.route === "project" && !this.offline;
    const more = offered ? this.moreProjects.split(/[\s,]+/) : [];
    return unique([this.project.trim(), ...more].filter((p) => p !== ""));
  }

  // How the Deployment gets access: a role on the project, or impersonating an account.
  route = $state<"project" | "impersonate">("project");
  impersonateAccount = $state("");

  /** Customer Managed Identity: your service account the Deployments will use. */
  customerAccount = $state("");

  // 3. Role
  /** Customer Managed Identity: the roles your service account gets on the project. */
  attachRoles = $state<string[]>([]);
  roleQuery = $state("");
  roles = $state<RoleInfo[]>([]);
  /** The roles ticked for the Deployments. Nothing is ticked until the user picks: the
   * summary shows only what was chosen. */
  grantRoles = $state<string[]>([]);

  /** The role of a single grant: the first one ticked. */
  get role(): string {
    return this.grantRoles[0] ?? "";
  }
  /** Names of the roles grantable on the project, once fetched live; `null` until then. */
  grantable = $state<ReadonlySet<string> | null>(null);
  withCondition = $state(false);
  conditionTitle = $state("");
  conditionDescription = $state("");
  conditionExpression = $state("");

  /** Ticks or unticks a role to grant. */
  toggleGrantRole(name: string) {
    this.grantRoles = this.grantRoles.includes(name)
      ? this.grantRoles.filter((r) => r !== name)
      : [...this.grantRoles, name];
  }

  /** The grants under review when several roles or projects are picked: one review, one
   * Apply; each grant's progress while it applies, what it did, and which were undone. */
  batchPlan = $state<PlannedGrantBatch | null>(null);
  batchProgress = $state<Record<string, GrantProgress>>({});
  batchOutcomes = $state<GrantItemOutcome[] | null>(null);
  batchUndone = $state<string[]>([]);

  /** Several roles or projects: planned and applied as one batch of grants. */
  get batch(): boolean {
    return (
      this.mode === "grant" &&
      this.route === "project" &&
      !this.offline &&
      this.projects.length * this.grantRoles.length > 1
    );
  }

  private conditionInput() {
    return this.withCondition
      ? {
          title: this.conditionTitle,
          description: this.conditionDescription.trim() || null,
          expression: this.conditionExpression,
        }
      : null;
  }

  async planBatch(): Promise<boolean> {
    this.confirmWarnings = false;
    const projects = this.projects;
    const roles = this.grantRoles;
    this.batchPlan = await this.run(
      `Reading the IAM policies of ${projects.length} project${projects.length === 1 ? "" : "s"}…`,
      () =>
        backend.gcpPlanBatch({
          target: this.target(),
          projects,
          roles,
          serviceAccounts: this.serviceAccounts,
          condition: this.conditionInput(),
        }),
    );
    return this.batchPlan !== null;
  }

  async applyBatch(): Promise<boolean> {
    if (!this.batchPlan) return false;
    const { planId, grants } = this.batchPlan;
    this.batchProgress = {};
    const outcomes = await this.run(`Applying ${grants.length} grants…`, () =>
      backend.gcpApplyBatch(planId, this.confirmWarnings, (progress) => {
        this.batchProgress = { ...this.batchProgress, [grantKey(progress)]: progress };
      }),
    );
    if (!outcomes) {
      await this.planBatch();
      return false;
    }
    this.batchOutcomes = outcomes;
    return true;
  }

  /** Removes every grant the batch wrote, one after another. */
  async undoBatch(): Promise<boolean> {
    for (const done of this.batchOutcomes ?? []) {
      const id = done.outcome?.written ? done.outcome.journalId : null;
      const key = grantKey(done);
      if (!id || this.batchUndone.includes(key)) continue;
      const undone = await this.run(`Removing ${done.role} from ${describe(done.resource)}…`, () =>
        backend.gcpUndo(this.target(), id),
      );
      if (!undone) return false;
      this.batchUndone = [...this.batchUndone, key];
    }
    return true;
  }

  // 4. Review and apply
  planned = $state<PlannedGrant | null>(null);
  confirmWarnings = $state(false);
  /** The bindings editor's text while the user edits the planned policy by hand. */
  draft = $state<string | null>(null);
  outcome = $state<BindingOutcome | null>(null);
  undone = $state<BindingOutcome | null>(null);
  /** The Customer Managed Identity plan under review, and what its apply did. */
  attachPlan = $state<PlannedAttachSa | null>(null);
  attachOutcome = $state<AttachSaOutcome | null>(null);
  /** The undos of an attach, newest change first. */
  attachUndone = $state<UndoOutcome[] | null>(null);

  // 5. Airflow connection
  connId = $state("google_cloud_default");
  impersonationChain = $state("");
  connection = $state<AirflowConnection | null>(null);

  /** Offline: the IAM policy the grants go into, as pasted (empty: an empty policy). */
  currentPolicy = $state("");

  /** Planning without credentials: nothing can be applied, only reviewed and exported. */
  get offline(): boolean {
    return this.credential.kind === "offline";
  }

  offlineInput(): OfflineGcpInput | null {
    return this.offline ? { currentPolicy: this.currentPolicy.trim() || null } : null;
  }

  target(): GcpTarget {
    const source =
      this.credential.kind === "keyring"
        ? ({ kind: "keyring", name: this.credential.name } as const)
        : this.credential.kind === "offline"
          ? ({ kind: "adc" } as const)
          : ({ kind: this.credential.kind } as const);
    return { source, endpoint: this.endpoint.trim() || null };
  }

  async parseServiceAccount() {
    this.parsed = await backend.gcpParseServiceAccount(this.serviceAccountText);
  }

  async searchRoles() {
    this.roles = await backend.gcpSearchRoles(this.roleQuery, 40);
  }

  async loadGrantable() {
    const roles = await this.run(`Listing the roles grantable on ${this.project}…`, () =>
      backend.gcpGrantableRoles(this.target(), this.project.trim()),
    );
    // Replaced whole, never mutated: a plain Set inside $state is enough.
    // eslint-disable-next-line svelte/prefer-svelte-reactivity
    if (roles) this.grantable = new Set(roles.map((r) => r.name));
  }

  async storeKey(profile: string, keyJson: string): Promise<string | null> {
    const email = await this.run("Saving the key in the OS keyring…", () =>
      backend.gcpStoreKey(profile, keyJson),
    );
    if (email !== null) this.credential = { kind: "keyring", name: profile };
    return email;
  }

  async plan(): Promise<boolean> {
    this.confirmWarnings = false;
    const condition = this.conditionInput();
    const on =
      this.route === "impersonate"
        ? `service account ${this.impersonateAccount}`
        : `project ${this.project}`;
    const what = this.offline
      ? `Planning the grant on ${on} offline…`
      : `Reading the IAM policy of ${on}…`;
    this.planned = await this.run(what, () =>
      backend.gcpPlan({
        target: this.target(),
        project: this.project.trim(),
        serviceAccounts: this.serviceAccounts,
        role: this.role,
        condition,
        impersonate: this.route === "impersonate" ? this.impersonateAccount.trim() : null,
        offline: this.offlineInput(),
      }),
    );
    return this.planned !== null;
  }

  /** Plans the hand-edited policy instead of the single grant. */
  async planDocument(): Promise<boolean> {
    if (this.draft === null || !this.planned) return false;
    const { resource } = this.planned.change;
    const document = this.draft;
    this.confirmWarnings = false;
    const planned = await this.run(`Reading the IAM policy of ${describe(resource)} again…`, () =>
      backend.gcpPlanDocument({
        target: this.target(),
        resource,
        document,
        offline: this.offlineInput(),
      }),
    );
    if (planned) {
      this.planned = planned;
      this.draft = null;
    }
    return planned !== null;
  }

  async apply(): Promise<boolean> {
    if (!this.planned) return false;
    const { planId, change } = this.planned;
    this.outcome = await this.run(
      `Granting ${change.plan.role} on ${describe(change.resource)}…`,
      () => backend.gcpApply(planId, this.confirmWarnings),
    );
    if (!this.outcome) await this.plan();
    return this.outcome !== null;
  }

  /** Adds or removes `role` from the roles your service account gets. */
  toggleAttachRole(role: string) {
    this.attachRoles = this.attachRoles.includes(role)
      ? this.attachRoles.filter((r) => r !== role)
      : [...this.attachRoles, role];
  }

  /** Whether applying the attach plan writes anything. */
  get attachChanges(): boolean {
    return this.attachPlan?.plan.changed ?? false;
  }

  /** Plans Customer Managed Identity: grants, Token Creator, identities. Writes nothing. */
  async planAttachSa(): Promise<boolean> {
    this.confirmWarnings = false;
    const picked = this.picker.picked;
    const account = this.customerAccount.trim();
    this.attachPlan = await this.run(
      this.offline
        ? `Reading ${picked.length} Deployment(s) and planning offline…`
        : `Reading ${picked.length} Deployment(s) and the IAM policies of ${this.project} and ${account}…`,
      () =>
        backend.gcpPlanAttachSa({
          target: this.target(),
          serviceAccount: account,
          project: this.project.trim(),
          roles: this.attachRoles,
          deployments: picked.map((d) => ({
            id: d.id,
            name: d.name,
            namespace: d.namespace,
            oidcIssuerUrl: d.oidcIssuerUrl,
          })),
          astro: this.picker.access(),
          organizationId: this.picker.organizationId,
          offline: this.offlineInput(),
        }),
    );
    return this.attachPlan !== null;
  }

  async applyAttachSa(): Promise<boolean> {
    if (!this.attachPlan) return false;
    const { planId, plan } = this.attachPlan;
    const done = await this.run(
      `Attaching ${plan.serviceAccount} to ${plan.identities.length} Deployment(s)…`,
      () => backend.gcpApplyAttachSa(planId, this.confirmWarnings),
    );
    if (!done) {
      await this.planAttachSa();
      return false;
    }
    this.attachOutcome = done;
    this.impersonationChain = plan.serviceAccount;
    return true;
  }

  /** Undoes an attach, newest change first: the identities (through the Astro API), then
   * the grants. Each is previewed and applied like an undo from History. */
  async undoAttach(): Promise<boolean> {
    const done = this.attachOutcome;
    if (!done) return false;
    // Applied grants first, then identities: undone the other way round.
    const steps: UndoStep[] = [
      ...done.grants.flatMap((g) =>
        g.journalId
          ? [{ journalId: g.journalId, what: `Removing the grant on ${describe(g.resource)}…` }]
          : [],
      ),
      ...done.identityJournalIds.map((journalId) => ({
        journalId,
        what: "Setting a Deployment's workload identity back…",
      })),
    ].reverse();
    const astro = this.picker.access().source;
    this.attachUndone = await undoEntries(this, steps, { aws: null, gcp: this.target(), astro });
    return this.attachUndone !== null;
  }

  async undo(): Promise<boolean> {
    const id = this.outcome?.journalId ?? null;
    this.undone = await this.run("Removing the grant…", () => backend.gcpUndo(this.target(), id));
    return this.undone !== null;
  }

  /** The connection the last step shows, as the Rust side takes it. */
  connectionInput(): ConnectionInput {
    return { kind: "gcp", input: this.connectionFields() };
  }

  private connectionFields(): GcpConnectionInput {
    return {
      connId: this.connId.trim(),
      project: this.project.trim(),
      impersonationChain: this.impersonationChain.trim() || null,
    };
  }

  async renderConnection() {
    if (this.mode === "attach" && !this.impersonationChain) {
      this.impersonationChain = this.customerAccount.trim();
    } else if (this.route === "impersonate" && !this.impersonationChain) {
      this.impersonationChain = this.impersonateAccount.trim();
    }
    const input = this.connectionFields();
    this.connection = await this.run("Preparing the connection…", () =>
      backend.airflowGcpConnection(input, this.astroScopeInput()),
    );
  }
}
