import { backend } from "../../lib/ipc";
import { DeploymentPicker } from "../../lib/astro/picker.svelte";
import { Journey } from "../../lib/journey/journey.svelte";
import { undoEntries, type UndoStep } from "../../lib/journal/undo-entries";
import { unique } from "../../lib/ui/unique";
import type {
  AssumeRequest,
  Evaluation,
  AirflowConnection,
  AwsConnectionInput,
  AwsTarget,
  ConnectionInput,
  Caller,
  ChangeOutcome,
  ManagedPolicy,
  ManagedPolicySummary,
  NewRole,
  OfflineAwsInput,
  ParsedIdentities,
  PlannedAttach,
  PermissionOutcome,
  PlannedChange,
  PlannedPermission,
  PlannedBatch,
  BatchProgress,
  BatchRoleOutcome,
  RoleSummary,
  TrustQuotaReading,
} from "../../lib/ipc";

export const AWS_STEPS = [
  { id: "identities", title: "Deployments" },
  { id: "credentials", title: "AWS account" },
  { id: "role", title: "IAM role" },
  { id: "review", title: "Review and apply" },
  { id: "permissions", title: "Permissions" },
  { id: "connection", title: "Airflow connection" },
  { id: "done", title: "Done" },
] as const;

/** A starting point for an inline policy: read one S3 bucket. */
export const INLINE_TEMPLATE = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::my-bucket", "arn:aws:s3:::my-bucket/*"]
    }
  ]
}`;

/** A permission change the user asked for, kept so that "Plan again" can repeat it. */
export type PermissionRequest =
  | { kind: "managed"; name: string; arn: string }
  | { kind: "inline"; name: string; document: string };

export type CredentialChoice =
  | { kind: "defaultChain" }
  | { kind: "profile"; name: string }
  | { kind: "keyring"; name: string }
  /** No credentials: the plan is made from what the user pastes, then exported for review. */
  | { kind: "offline" };

/** One run of the AWS journey: what the user entered and what the backend answered. */
export class AwsJourney extends Journey {
  // 1. Deployments: picked from the Astro API, pasted, or both.
  picker = new DeploymentPicker("AWS");
  /**
   * How the Deployments reach the account: Astro's identity assumes the role (the seed's
   * setup), or the role is attached to them (Customer Managed Identity: the role trusts
   * their clusters' OIDC providers, and their workload identity is set to it).
   */
  mode = $state<"trust" | "attach">("trust");
  /** The Customer Managed Identity plan under review (mode "attach"). */
  attachPlan = $state<PlannedAttach | null>(null);
  /** Journal ids of the Deployments' identity changes, after an attach. */
  identityJournalIds = $state<string[]>([]);
  identitiesText = $state("");
  parsed = $state<ParsedIdentities | null>(null);

  /** Every identity to trust: the picked Deployments' and the pasted ones, once each. */
  get identities(): string[] {
    return unique([...this.picker.identities, ...(this.parsed?.valid ?? [])]);
  }

  /** Ready to go on: at least one identity, and no pasted line left broken; attaching needs
   * picked Deployments whose clusters have an OIDC issuer. */
  get identitiesReady(): boolean {
    if (this.mode === "attach") {
      const picked = this.picker.picked;
      return picked.length > 0 && picked.every((d) => !!d.oidcIssuerUrl);
    }
    return this.identities.length > 0 && (this.parsed?.errors.length ?? 0) === 0;
  }

  /** Whether applying the attach plan writes anything: a provider, the trust policy, or a
   * Deployment's identity. */
  get attachChanges(): boolean {
    const plan = this.attachPlan?.plan;
    if (!plan) return false;
    const providers = plan.providers.some((p) => !p.clientIds?.includes("sts.amazonaws.com"));
    const identities = this.picker.picked.some((d) => d.workloadIdentity !== plan.roleArn);
    return plan.trust.plan.changed || providers || identities;
  }

  /** Plans Customer Managed Identity: providers, the merged trust policy, identities. */
  async planAttachRole(): Promise<boolean> {
    const account = this.caller?.account ?? "your account";
    this.confirmWarnings = false;
    const picked = this.picker.picked;
    this.attachPlan = await this.run(
      this.offline
        ? `Planning role ${this.roleName} and the OIDC providers offline…`
        : `Reading the OIDC providers and role ${this.roleName} in ${account}…`,
      () =>
        backend.awsPlanAttachRole({
          target: this.target(),
          roleName: this.roleName.trim(),
          create: this.newRole(),
          deployments: picked.map((d) => ({
            id: d.id,
            name: d.name,
            namespace: d.namespace,
            oidcIssuerUrl: d.oidcIssuerUrl,
          })),
          wildcardSubjects: false,
          quota: this.quota,
          astro: this.picker.access(),
          organizationId: this.picker.organizationId,
          offline: this.offlineInput(),
        }),
    );
    // The review step shows the trust policy as for the other setup.
    this.planned = this.attachPlan
      ? { planId: this.attachPlan.planId, change: this.attachPlan.plan.trust }
      : null;
    return this.attachPlan !== null;
  }

  async applyAttachRole(): Promise<boolean> {
    if (!this.attachPlan) return false;
    const { planId, plan } = this.attachPlan;
    const done = await this.run(
      `Attaching role ${plan.trust.roleName} to ${this.picker.picked.length} Deployment(s)…`,
      () => backend.awsApplyAttachRole(planId, this.confirmWarnings),
    );
    if (!done) {
      await this.planAttachRole();
      return false;
    }
    this.outcome = done.iam.trust;
    this.identityJournalIds = done.identityJournalIds;
    await this.checkAccess();
    return true;
  }

  // 2. AWS account
  credential = $state<CredentialChoice>({ kind: "defaultChain" });
  region = $state("");
  endpointUrl = $state("");
  caller = $state<Caller | null>(null);
  /** The account's trust policy quota when raised (remembered per account); null: IAM's 2,048. */
  quota = $state<number | null>(null);
  /** What Service Quotas said about the account's trust policy quota (null: not asked yet). */
  quotaReading = $state<TrustQuotaReading | null>(null);
  /** Offline: the account the role lives in, when typed (its ARN; attaching needs it). */
  offlineAccount = $state("");
  /** Offline, existing role: its trust policy as pasted or loaded from a file. */
  currentPolicy = $state("");

  /** Planning without credentials: nothing can be applied, only reviewed and exported. */
  get offline(): boolean {
    return this.credential.kind === "offline";
  }

  /** What an offline plan starts from; null when planning with credentials. */
  offlineInput(): OfflineAwsInput | null {
    if (!this.offline) return null;
    return {
      account: this.offlineAccount.trim() || null,
      currentPolicy: this.roleMode === "existing" ? this.currentPolicy : null,
    };
  }

  /** Where a plan is read from, for progress lines. */
  private planningWhat(role: string): string {
    if (this.offline) return `Planning role ${role} offline, from what you gave…`;
    return `Reading role ${role} in ${this.caller?.account ?? "your account"}…`;
  }

  // 3. IAM role
  roleMode = $state<"create" | "existing">("create");
  roleName = $state("astro-deployments");
  roleDescription = $state("Assumed by Astro Deployments through their workload identity");
  roleSearch = $state("");
  roles = $state<RoleSummary[] | null>(null);
  /** Existing roles ticked in the list; two or more make a batch: one review, one Apply. */
  rolePicks = $state<string[]>([]);
  /** The batch under review, each role's progress while it applies, and what it did. */
  batchPlan = $state<PlannedBatch | null>(null);
  batchProgress = $state<Record<string, BatchProgress>>({});
  batchOutcomes = $state<BatchRoleOutcome[] | null>(null);
  batchUndone = $state<string[]>([]);

  /** The picked Deployments trusted by several existing roles at once. */
  get batch(): boolean {
    return (
      this.mode === "trust" &&
      this.roleMode === "existing" &&
      !this.offline &&
      this.rolePicks.length > 1
    );
  }

  /** The create form's name while an existing role is chosen, kept for switching back. */
  private newRoleName = "astro-deployments";
  /** Offline, the existing role's name as typed (there is no list to pick from). */
  private existingRoleName = "";

  /** Switches between creating a role and using existing ones. The role name follows: an
   * existing role is only ever one the user picked or typed, never the create form's default. */
  chooseRoleMode(mode: "create" | "existing") {
    if (mode === this.roleMode) return;
    if (mode === "existing") {
      this.newRoleName = this.roleName;
      this.roleName = this.offline ? this.existingRoleName : (this.rolePicks[0] ?? "");
    } else {
      if (this.offline) this.existingRoleName = this.roleName;
      this.roleName = this.newRoleName;
    }
    this.roleMode = mode;
  }

  /** Ticks or unticks an existing role; the first one ticked is the journey's role. */
  toggleRole(name: string) {
    this.rolePicks = this.rolePicks.includes(name)
      ? this.rolePicks.filter((r) => r !== name)
      : [...this.rolePicks, name];
    this.roleName = this.rolePicks[0] ?? "";
  }

  async planBatch(): Promise<boolean> {
    this.confirmWarnings = false;
    const roles = this.rolePicks;
    this.batchPlan = await this.run(
      `Reading ${roles.length} roles in ${this.caller?.account ?? "your account"}…`,
      () =>
        backend.awsPlanBatch({
          target: this.target(),
          roles,
          identities: this.identities,
          quota: this.quota,
        }),
    );
    return this.batchPlan !== null;
  }

  async applyBatch(): Promise<boolean> {
    if (!this.batchPlan) return false;
    const { planId, plan } = this.batchPlan;
    this.batchProgress = {};
    const outcomes = await this.run(`Applying ${plan.roles.length} roles, 8 at a time…`, () =>
      backend.awsApplyBatch(planId, this.confirmWarnings, (progress) => {
        this.batchProgress = { ...this.batchProgress, [progress.role]: progress };
      }),
    );
    if (!outcomes) {
      await this.planBatch();
      return false;
    }
    this.batchOutcomes = outcomes;
    return true;
  }

  /** Undoes every role the batch wrote, one after another. */
  async undoBatch(): Promise<boolean> {
    for (const done of this.batchOutcomes ?? []) {
      const id = done.outcome?.written ? done.outcome.journalId : null;
      if (!id || this.batchUndone.includes(done.roleName)) continue;
      const undone = await this.run(`Restoring the trust policy of ${done.roleName}…`, () =>
        backend.awsUndo(this.target(), id),
      );
      if (!undone) return false;
      this.batchUndone = [...this.batchUndone, done.roleName];
    }
    return true;
  }

  // 4. Review and apply
  planned = $state<PlannedChange | null>(null);
  confirmWarnings = $state(false);
  /** The policy editor's text while the user edits the planned policy by hand. */
  draft = $state<string | null>(null);
  outcome = $state<ChangeOutcome | null>(null);
  undone = $state<ChangeOutcome | null>(null);
  /** Whether each Deployment can assume the role, by the evaluator, after the apply. */
  access = $state<{ label: string; evaluation: Evaluation }[] | null>(null);

  // 5. Permissions (optional)
  policySearch = $state("S3ReadOnly");
  /** AWS-managed policies from the offline catalog, searched as the user types. */
  catalogPolicies = $state<ManagedPolicySummary[]>([]);
  /** The live search of the account (customer-managed policies too), when asked for. */
  policies = $state<ManagedPolicy[] | null>(null);
  /** The managed policy whose document is open. */
  viewing = $state<{ arn: string; document: string } | null>(null);
  inlineName = $state("astro-access");
  inlineDocument = $state(INLINE_TEMPLATE);
  /** The permission change under review: planned first, applied only when confirmed. */
  permissionRequest = $state<PermissionRequest | null>(null);
  /** Its plan; null while planning, and after an apply (a plan is applied once). */
  permissionPlan = $state<PlannedPermission | null>(null);
  /** The user ticked "Replace it" for a plan that replaces an existing inline policy. */
  confirmPermissionReplace = $state(false);
  permissionChanges = $state<PermissionOutcome[]>([]);

  // 6. Airflow connection
  connId = $state("aws_default");
  connRegion = $state("us-east-1");
  /** Only when the trust policy requires `sts:ExternalId`. */
  connExternalId = $state("");
  /** Assume the role with the pod's web identity token (a role the Deployment does not use). */
  connWebIdentity = $state(false);
  connection = $state<AirflowConnection | null>(null);

  target(): AwsTarget {
    const source =
      this.credential.kind === "defaultChain" || this.credential.kind === "offline"
        ? ({ kind: "defaultChain" } as const)
        : this.credential.kind === "profile"
          ? ({ kind: "profile", name: this.credential.name } as const)
          : ({ kind: "keyring", name: this.credential.name } as const);
    return {
      source,
      region: this.region.trim() || null,
      endpointUrl: this.endpointUrl.trim() || null,
    };
  }

  async parseIdentities() {
    this.parsed = await backend.awsParseIdentities(this.identitiesText);
  }

  async checkCaller(): Promise<boolean> {
    this.caller = await this.run("Asking AWS who these credentials belong to…", () =>
      backend.awsCaller(this.target()),
    );
    this.quotaReading = null;
    if (this.caller) {
      const account = this.caller.account;
      this.quotaReading = await this.run(
        `Reading the trust policy quota of ${account} from Service Quotas…`,
        () => backend.awsTrustQuota(this.target()),
      );
      // Read from the account: that is the quota. Not readable: what the person set before.
      this.quota = this.quotaReading?.value ?? rememberedQuota(account);
    }
    return this.caller !== null;
  }

  /** Sets the account's raised quota (null: the default) and remembers it for the account. */
  setQuota(quota: number | null) {
    this.quota = quota;
    if (this.caller) rememberQuota(this.caller.account, quota);
  }

  async storeKeys(profile: string, accessKeyId: string, secret: string): Promise<boolean> {
    await this.run("Saving the keys in the OS keyring…", () =>
      backend.awsStoreKeys(profile, accessKeyId, secret),
    );
    // The command answers nothing on success (null, like `run`'s failure): the error says.
    if (this.error !== null) return false;
    this.credential = { kind: "keyring", name: profile };
    return true;
  }

  async searchRoles() {
    const account = this.caller?.account ?? "the account";
    this.roles = await this.run(`Listing roles in ${account}…`, () =>
      backend.awsListRoles(this.target(), this.roleSearch),
    );
  }

  newRole(): NewRole | null {
    if (this.roleMode !== "create") return null;
    return {
      name: this.roleName.trim(),
      path: null,
      description: this.roleDescription.trim() || null,
      maxSessionDuration: 3600,
      tags: [["created-by", "astro-identity"]],
    };
  }

  async plan(): Promise<boolean> {
    this.confirmWarnings = false;
    this.planned = await this.run(this.planningWhat(this.roleName), () =>
      backend.awsPlan({
        target: this.target(),
        roleName: this.roleName.trim(),
        identities: this.identities,
        create: this.newRole(),
        quota: this.quota,
        offline: this.offlineInput(),
      }),
    );
    return this.planned !== null;
  }

  /** Plans the hand-edited policy instead of the merged one. */
  async planDocument(): Promise<boolean> {
    if (this.draft === null) return false;
    const document = this.draft;
    this.confirmWarnings = false;
    const planned = await this.run(this.planningWhat(this.roleName), () =>
      backend.awsPlanDocument({
        target: this.target(),
        roleName: this.roleName.trim(),
        document,
        create: this.newRole(),
        quota: this.quota,
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
    const verb = change.roleArn ? "Updating the trust policy of" : "Creating";
    this.outcome = await this.run(
      `${verb} role ${change.roleName} in ${change.caller.account}…`,
      () => backend.awsApply(planId, this.confirmWarnings),
    );
    // A plan is applied once; a refused or failed apply needs a fresh plan.
    if (!this.outcome) await this.plan();
    else await this.checkAccess();
    return this.outcome !== null;
  }

  /** What the evaluator asks for each Deployment: its role assuming this one, or (attached)
   * its worker's service account through its cluster's OIDC provider. */
  accessRequests(account: string): { label: string; request: AssumeRequest }[] {
    if (this.mode === "trust") {
      return this.identities.map((arn) => ({
        label: arn.split("/").pop() ?? arn,
        request: { caller: { kind: "aws", value: arn }, action: "sts:AssumeRole", context: {} },
      }));
    }
    return this.picker.picked.flatMap((d) => {
      if (!d.oidcIssuerUrl) return [];
      const host = d.oidcIssuerUrl.replace(/^https:\/\//, "").replace(/\/$/, "");
      const sub = `system:serviceaccount:${d.namespace}:${d.namespace}-worker-serviceaccount`;
      return [
        {
          label: d.name,
          request: {
            caller: { kind: "federated", value: `arn:aws:iam::${account}:oidc-provider/${host}` },
            action: "sts:AssumeRoleWithWebIdentity",
            context: { [`${host}:aud`]: ["sts.amazonaws.com"], [`${host}:sub`]: [sub] },
          },
        },
      ];
    });
  }

  /** Proof, from the trust policy read back, that each Deployment can get in (offline). */
  async checkAccess() {
    const outcome = this.outcome;
    if (!outcome?.trustPolicy) return;
    const asked = this.accessRequests(outcome.account);
    const answer = await backend.awsTrustEvaluate(
      outcome.trustPolicy,
      asked.map((a) => a.request),
    );
    this.access =
      answer.status === "ok"
        ? asked.map((a, i) => ({ label: a.label, evaluation: answer.data[i] as Evaluation }))
        : null;
  }

  /** Undoes this journey's changes, newest first: permissions, the Deployments' identities
   * (attached), then the trust policy. */
  async undo(): Promise<boolean> {
    const permissions = this.permissionChanges.filter((c) => c.journalId !== null).reverse();
    for (const change of permissions) {
      const undone = await this.run(`Removing ${change.policy} from role ${change.roleName}…`, () =>
        backend.awsUndo(this.target(), change.journalId),
      );
      if (!undone) return false;
      this.permissionChanges = this.permissionChanges.filter((c) => c !== change);
    }
    const identities: UndoStep[] = [...this.identityJournalIds].reverse().map((journalId) => ({
      journalId,
      what: "Setting a Deployment's workload identity back…",
    }));
    const astro = this.picker.access().source;
    if (!(await undoEntries(this, identities, { aws: this.target(), gcp: null, astro })))
      return false;
    this.identityJournalIds = [];
    // Nothing journaled for the trust policy (it already trusted them): nothing to restore.
    if (!this.outcome?.written) {
      this.undone = this.outcome;
      return true;
    }
    const id = this.outcome?.journalId ?? null;
    this.undone = await this.run("Restoring the previous trust policy…", () =>
      backend.awsUndo(this.target(), id),
    );
    return this.undone !== null;
  }

  async searchCatalog() {
    this.catalogPolicies = await backend.awsManagedPolicyCatalog(this.policySearch.trim());
  }

  async viewPolicy(arn: string) {
    if (this.viewing?.arn === arn) {
      this.viewing = null;
      return;
    }
    const document = await backend.awsManagedPolicyDocument(arn);
    this.viewing = document === null ? null : { arn, document };
  }

  async searchPolicies() {
    this.policies = await this.run("Searching managed policies…", () =>
      backend.awsListPolicies(this.target(), this.policySearch),
    );
  }

  /** The role the permissions go to: the one the trust policy was applied to. */
  roleForPermissions(): string {
    return this.outcome?.roleName ?? this.roleName.trim();
  }

  /** Plans attaching a managed policy: reads the role's attached policies, writes nothing. */
  planAttach(policy: { name: string; arn: string }): Promise<boolean> {
    return this.planPermission({ kind: "managed", name: policy.name, arn: policy.arn });
  }

  /** Plans writing the inline policy as edited: reads the role's one of that name, writes nothing. */
  planInline(): Promise<boolean> {
    return this.planPermission({
      kind: "inline",
      name: this.inlineName.trim(),
      document: this.inlineDocument,
    });
  }

  /** Plans `request`; without one, the last request again ("Plan again"). */
  async planPermission(request = this.permissionRequest): Promise<boolean> {
    if (!request) return false;
    const role = this.roleForPermissions();
    const target = this.target();
    // The review on screen stays (its buttons disabled) until the new plan replaces it.
    const planned = await this.run(`Reading role ${role}'s policies…`, () =>
      request.kind === "managed"
        ? backend.awsPlanAttach(target, role, request.arn)
        : backend.awsPlanInline(target, role, request.name, request.document),
    );
    this.permissionRequest = request;
    this.permissionPlan = planned;
    this.confirmPermissionReplace = false;
    if (planned === null && !this.canPlanPermissionAgain) this.permissionRequest = null;
    return planned !== null;
  }

  /** An apply or plan failed in a way a fresh plan gets past: the role changed, or the plan expired. */
  get canPlanPermissionAgain(): boolean {
    const code = this.error?.code;
    return (
      this.permissionRequest !== null && (code === "remote_changed" || code === "plan_expired")
    );
  }

  /** The inline policy was edited after it was planned: the plan no longer shows the editor's text. */
  get permissionPlanStale(): boolean {
    const request = this.permissionRequest;
    return (
      this.permissionPlan !== null &&
      request?.kind === "inline" &&
      (request.name !== this.inlineName.trim() || request.document !== this.inlineDocument)
    );
  }

  /** Applies exactly the plan under review, then lists the verified outcome. */
  async applyPermission(): Promise<boolean> {
    const planned = this.permissionPlan;
    const request = this.permissionRequest;
    if (!planned || !planned.plan.changed) return false;
    const { planId, plan } = planned;
    // Replacing another document is only ever sent confirmed (Rust refuses it otherwise).
    if (plan.replaces && !this.confirmPermissionReplace) return false;
    const confirmReplace = plan.replaces;
    const what =
      plan.target.kind === "managed"
        ? `Attaching ${request?.kind === "managed" ? request.name : plan.target.policyArn} to`
        : `Writing inline policy ${plan.target.name} on`;
    const done = await this.run(`${what} role ${plan.roleName}, then reading it back…`, () =>
      backend.awsApplyPermission(planId, confirmReplace),
    );
    // Rust takes a plan on apply, even a failed one: after a failure only a new plan can apply.
    this.permissionPlan = null;
    this.confirmPermissionReplace = false;
    if (!done) {
      if (!this.canPlanPermissionAgain) this.permissionRequest = null;
      return false;
    }
    this.permissionRequest = null;
    this.permissionChanges = [...this.permissionChanges, done];
    return true;
  }

  /** Closes the review without writing anything. */
  cancelPermission() {
    if (this.canPlanPermissionAgain) this.error = null;
    this.permissionRequest = null;
    this.permissionPlan = null;
    this.confirmPermissionReplace = false;
  }

  /** The connection the last step shows, as the Rust side takes it. */
  connectionInput(): ConnectionInput {
    return { kind: "aws", input: this.connectionFields() };
  }

  private connectionFields(): AwsConnectionInput {
    return {
      connId: this.connId.trim(),
      // Attached, the Deployment's own identity is the role: the connection names none.
      roleArn:
        this.mode === "attach" ? "" : (this.outcome?.roleArn ?? this.planned?.change.roleArn ?? ""),
      region: this.connRegion.trim(),
      externalId: this.connExternalId.trim() || null,
      webIdentity: this.connWebIdentity,
    };
  }

  async renderConnection() {
    const input = this.connectionFields();
    this.connection = await this.run("Preparing the connection…", () =>
      backend.airflowAwsConnection(input, this.astroScopeInput()),
    );
  }
}

const QUOTA_KEY = "astro-identity:trust-policy-quota:";

/** The quota a person set for `account` before, if any. */
export function rememberedQuota(account: string): number | null {
  const stored = Number(localStorage.getItem(QUOTA_KEY + account));
  return Number.isInteger(stored) && stored >= 2048 && stored <= 4096 ? stored : null;
}

function rememberQuota(account: string, quota: number | null) {
  if (quota === null) localStorage.removeItem(QUOTA_KEY + account);
  else localStorage.setItem(QUOTA_KEY + account, String(quota));
}
