import { backend } from "../../lib/ipc";
import { Journey } from "../../lib/journey/journey.svelte";
import type {
  AirflowConnection,
  AwsConnectionInput,
  AwsTarget,
  ConnectionInput,
  Caller,
  ChangeOutcome,
  ManagedPolicy,
  ManagedPolicySummary,
  NewRole,
  ParsedIdentities,
  PermissionOutcome,
  PlannedChange,
  RoleSummary,
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

export type CredentialChoice =
  { kind: "defaultChain" } | { kind: "profile"; name: string } | { kind: "keyring"; name: string };

/** One run of the AWS journey: what the user entered and what the backend answered. */
export class AwsJourney extends Journey {
  // 1. Deployments
  identitiesText = $state("");
  parsed = $state<ParsedIdentities | null>(null);

  // 2. AWS account
  credential = $state<CredentialChoice>({ kind: "defaultChain" });
  region = $state("");
  endpointUrl = $state("");
  caller = $state<Caller | null>(null);

  // 3. IAM role
  roleMode = $state<"create" | "existing">("create");
  roleName = $state("astro-deployments");
  roleDescription = $state("Assumed by Astro Deployments through their workload identity");
  roleSearch = $state("");
  roles = $state<RoleSummary[] | null>(null);

  // 4. Review and apply
  planned = $state<PlannedChange | null>(null);
  confirmWarnings = $state(false);
  /** The policy editor's text while the user edits the planned policy by hand. */
  draft = $state<string | null>(null);
  outcome = $state<ChangeOutcome | null>(null);
  undone = $state<ChangeOutcome | null>(null);

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
  permissionChanges = $state<PermissionOutcome[]>([]);

  // 6. Airflow connection
  connId = $state("aws_default");
  connRegion = $state("us-east-1");
  /** Only when the trust policy requires `sts:ExternalId`. */
  connExternalId = $state("");
  /** Customer Managed Identity: assume the role with the pod's web identity token. */
  connWebIdentity = $state(false);
  connection = $state<AirflowConnection | null>(null);

  target(): AwsTarget {
    const source =
      this.credential.kind === "defaultChain"
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
    return this.caller !== null;
  }

  async storeKeys(profile: string, accessKeyId: string, secret: string): Promise<boolean> {
    const stored = await this.run("Saving the keys in the OS keyring…", () =>
      backend.awsStoreKeys(profile, accessKeyId, secret),
    );
    if (stored === null) return false;
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
    const account = this.caller?.account ?? "your account";
    this.confirmWarnings = false;
    this.planned = await this.run(`Reading role ${this.roleName} in ${account}…`, () =>
      backend.awsPlan({
        target: this.target(),
        roleName: this.roleName.trim(),
        identities: this.parsed?.valid ?? [],
        create: this.newRole(),
        quota: null,
      }),
    );
    return this.planned !== null;
  }

  /** Plans the hand-edited policy instead of the merged one. */
  async planDocument(): Promise<boolean> {
    if (this.draft === null) return false;
    const document = this.draft;
    this.confirmWarnings = false;
    const planned = await this.run(`Reading role ${this.roleName} again…`, () =>
      backend.awsPlanDocument({
        target: this.target(),
        roleName: this.roleName.trim(),
        document,
        create: this.newRole(),
        quota: null,
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
    return this.outcome !== null;
  }

  /** Undoes this journey's changes, newest first: permissions, then the trust policy. */
  async undo(): Promise<boolean> {
    const permissions = this.permissionChanges.filter((c) => c.journalId !== null).reverse();
    for (const change of permissions) {
      const undone = await this.run(`Removing ${change.policy} from role ${change.roleName}…`, () =>
        backend.awsUndo(this.target(), change.journalId),
      );
      if (!undone) return false;
      this.permissionChanges = this.permissionChanges.filter((c) => c !== change);
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

  private roleForPermissions(): string {
    return this.outcome?.roleName ?? this.roleName.trim();
  }

  async attachPolicy(policy: { name: string; arn: string }) {
    const role = this.roleForPermissions();
    const done = await this.run(`Attaching ${policy.name} to role ${role}…`, () =>
      backend.awsAttachPolicy(this.target(), role, policy.arn),
    );
    if (done) this.permissionChanges = [...this.permissionChanges, done];
  }

  async putInlinePolicy() {
    const role = this.roleForPermissions();
    const done = await this.run(`Writing inline policy ${this.inlineName} on role ${role}…`, () =>
      backend.awsPutInlinePolicy(this.target(), role, this.inlineName.trim(), this.inlineDocument),
    );
    if (done) this.permissionChanges = [...this.permissionChanges, done];
  }

  /** The connection the last step shows, as the Rust side takes it. */
  connectionInput(): ConnectionInput {
    return { kind: "aws", input: this.connectionFields() };
  }

  private connectionFields(): AwsConnectionInput {
    return {
      connId: this.connId.trim(),
      roleArn: this.outcome?.roleArn ?? this.planned?.change.roleArn ?? "",
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
