import { awsConnection, credentialSummary } from "./lib/testing/fixtures";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { axeViolations } from "./lib/testing/axe";
import App from "./App.svelte";
import History from "./screens/History.svelte";
import Inventory from "./screens/Inventory.svelte";
import AwsJourney from "./steps/aws/AwsJourney.svelte";
import GcpJourney from "./steps/gcp/GcpJourney.svelte";
import PermissionsStep from "./steps/aws/PermissionsStep.svelte";
import { AwsJourney as AwsJourneyState, INLINE_TEMPLATE } from "./steps/aws/journey.svelte";
import DeploymentPicker from "./lib/astro/DeploymentPicker.svelte";
import { DeploymentPicker as Picker } from "./lib/astro/picker.svelte";
import ConnectionResult from "./lib/airflow/ConnectionResult.svelte";
import ConnectionOptions from "./lib/airflow/ConnectionOptions.svelte";
import ExportPanel from "./lib/export/ExportPanel.svelte";
import TrustPolicyEditor from "./lib/policy/TrustPolicyEditor.svelte";
import BindingsEditor from "./lib/policy/BindingsEditor.svelte";
import WhatRolesAllow from "./lib/policy/WhatRolesAllow.svelte";
import type { ConnectionInput, Deployment } from "./lib/ipc";

// Every screen and shared component with a test harness, rendered in the states that show
// the most (lists filled, errors, reviews, forms open), checked with axe-core. Serious and
// critical violations fail (see lib/testing/axe.ts); colour contrast is checked on the
// palette in contrast.test.ts, as jsdom paints nothing.

type Handler = (args: Record<string, unknown>) => unknown;

/** Answers each command from `handlers`; any other command fails as the backend would. */
function backend(handlers: Record<string, Handler>) {
  mockIPC((cmd, args) => {
    const handler = handlers[cmd];
    if (!handler)
      throw { code: "internal", message: `${cmd} is not mocked`, hint: "", field: null };
    return handler((args ?? {}) as Record<string, unknown>);
  });
}

const pause = (ms = 0) => new Promise((r) => setTimeout(r, ms));

async function expectAccessible(container: Element = document.body) {
  expect(await axeViolations(container)).toEqual([]);
}

const ARN = "arn:aws:iam::123456789876:role/astro-a-1234";
const CALLER = { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada" };
const SIZE = { used: 200, quota: 2048, remaining: 1848, perDeployment: 57, moreDeploymentsFit: 32 };
const TRUST = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["${ARN}"]},"Action":"sts:AssumeRole"}]}`;
const WARNING = {
  level: "warning",
  code: "wildcard_principal_without_condition",
  message: "Statement 1 trusts everyone",
  hint: "Add a condition.",
  statement: 0,
};

function deployment(id: string, cloud: "AWS" | "GCP", extra: Partial<Deployment> = {}) {
  return {
    id,
    name: `Deployment ${id}`,
    organizationId: "clorg",
    workspaceId: "clws",
    workspaceName: "Data",
    cloudProvider: cloud,
    region: "us-east-1",
    clusterId: null,
    clusterName: null,
    status: "HEALTHY",
    deploymentType: "STANDARD",
    namespace: `ns-${id}`,
    oidcIssuerUrl: null,
    workloadIdentity:
      cloud === "AWS"
        ? `arn:aws:iam::123456789012:role/astro-ns-${id}`
        : `astro-ns-${id}@astronomer-prod.iam.gserviceaccount.com`,
    customerManaged: false,
    ...extra,
  };
}

const ASTRO = {
  astro_token_sources: () => [{ kind: "keyring", profile: "astro" }],
  astro_connect: () => ({
    source: "keyring profile astro",
    organizations: [{ id: "clorg", name: "Acme" }],
  }),
  astro_workspaces: () => [{ id: "clws", name: "Data" }],
  astro_deployment_page: () => ({
    deployments: [
      deployment("a1", "AWS"),
      deployment("a2", "AWS", { customerManaged: true }),
      deployment("g1", "GCP"),
      deployment("a3", "AWS", { workloadIdentity: null, status: "CREATING" }),
    ],
    offset: 0,
    totalCount: 4,
    nextOffset: null,
  }),
};

function trustAnalysis(principals: string[]) {
  return {
    state: "valid",
    view: {
      statements: [
        {
          index: 0,
          sid: "Astro",
          effect: "Allow",
          notPrincipal: false,
          principals: [{ kind: "AWS", values: principals }],
          actions: ["sts:AssumeRole", "sts:TagSession"],
          notActions: false,
          conditions: [{ operator: "StringEquals", key: "sts:ExternalId", values: ["x"] }],
          otherFields: [],
        },
      ],
      hasUnknownTopLevelFields: false,
    },
    pretty: TRUST,
    lints: [WARNING],
    size: SIZE,
  };
}

const TRUST_EDITOR = {
  aws_condition_presets: () => [
    {
      label: "External ID",
      operator: "StringEquals",
      key: "sts:ExternalId",
      placeholder: "id",
    },
  ],
  aws_trust_policy_analyze: () => trustAnalysis([ARN, "*"]),
  aws_trust_who: () => [
    {
      number: 1,
      sid: "Astro",
      effect: "Allow",
      who: [ARN],
      actions: ["sts:AssumeRole"],
      conditions: ["sts:ExternalId is x"],
    },
  ],
};

beforeEach(() => clearMocks());
afterEach(() => {
  cleanup();
  delete document.documentElement.dataset.theme;
});

describe("accessibility (axe-core)", () => {
  it("can fail: finds an unnamed button, an unlabelled field and a duplicate id", async () => {
    const host = document.body.appendChild(document.createElement("div"));
    host.innerHTML = `<button type="button"><span aria-hidden="true">×</span></button><input>
      <p id="twice"></p><p id="twice"></p>`;
    const found = (await axeViolations(host)).join("\n");
    host.remove();
    expect(found).toContain("button-name");
    expect(found).toContain("label");
    expect(found).toContain("duplicate-id: #twice");
  });

  it("the shell and the home screen: theme switch, journeys, credentials, interrupted changes", async () => {
    backend({
      ...ASTRO,
      app_info: () => ({ version: "0.1.0" }),
      credential_summary: () =>
        credentialSummary({
          keyring: {
            unavailable: null,
            held: [
              { provider: "aws", profile: "prod" },
              { provider: "astro", profile: "astro" },
            ],
          },
        }),
      journal_pending: () => [
        {
          journalId: "j-1",
          cloud: "aws",
          account: "123456789012",
          action: "updateTrustPolicy",
          resourceName: "astro-data",
          time: "2026-11-26T10:00:00Z",
          result: "unchecked",
          message: "Your last change was interrupted; it has not been checked yet",
        },
      ],
    });
    const { container } = render(App);
    await screen.findByTestId("credential-summary");
    await screen.findByTestId("interrupted-changes");
    expect(screen.getByRole("combobox", { name: "Theme" })).toBeTruthy();
    await expectAccessible(container);
    // The keyring's confirmation, then another screen under the same header.
    await fireEvent.click(screen.getByRole("button", { name: "Forget aws secret prod" }));
    await expectAccessible(container);
  });

  it("History: the list, its filters, and an undo preview", async () => {
    const entry = (journalId: string, extra: Record<string, unknown> = {}) => ({
      journalId,
      time: "2026-11-26T12:00:00Z",
      cloud: "aws",
      place: "account 123456789012",
      summary: `Trust policy of role data: added ${ARN}`,
      status: "applied",
      reason: null,
      undoes: null,
      undoneBy: null,
      undoable: true,
      whyNotUndoable: null,
      ...extra,
    });
    backend({
      ...ASTRO,
      journal_history: () => [
        entry("j-aws"),
        entry("j-failed", {
          status: "failed",
          reason: "IAM refused the policy",
          undoable: false,
          whyNotUndoable: "It was never applied.",
        }),
        entry("j-gcp", { cloud: "gcp", place: "project astro-data", status: "interrupted" }),
      ],
      journal_plan_undo: () => ({
        planId: "plan-1",
        journalId: "j-aws",
        summary: `Remove ${ARN} from the trust policy of role data`,
        resource: "role data in account 123456789012",
        diff: [
          { kind: "same", text: '      "AWS": [' },
          { kind: "removed", text: `        "${ARN}",` },
        ],
        kept: ["arn:aws:iam::123456789012:role/ci was added by someone else since, and stays."],
        changed: true,
      }),
    });
    const { container } = render(History, { awsProfiles: ["prod", "dev"], onexit: () => {} });
    await screen.findByRole("list", { name: "Journaled changes" });
    await expectAccessible(container);
    await fireEvent.click(screen.getByTestId("undo-j-aws"));
    await screen.findByTestId("undo-preview");
    await expectAccessible(container);
  });

  it("Inventory: rows with drift, and an offboarding under review", async () => {
    const row = (resource: string) => ({
      cloud: "aws",
      deployment: { id: "cldep1", name: "Sales ETL" },
      matched: resource === "old" ? "shape" : "exact",
      identity: ARN,
      place: `role ${resource} in account 123456789012`,
      resource,
      access: ["lake-reader"],
      journaled: false,
      drift: resource === "old" ? "the role no longer trusts it" : null,
      consoleUrl: "",
    });
    const change = (role: string) => ({
      caller: { ...CALLER, userId: "x" },
      roleName: role,
      roleArn: `arn:aws:iam::123456789012:role/${role}`,
      create: null,
      remoteBefore: "{}",
      quota: 2048,
      plan: {
        beforeJson: "{}",
        afterJson: "{}",
        compactAfter: "{}",
        diff: [{ kind: "removed", text: `"${ARN}"` }],
        lints: [{ ...WARNING, level: "error" }],
        changed: true,
        blocked: true,
        needsConfirmation: false,
        added: [],
        removed: [ARN],
        alreadyTrusted: [],
        size: SIZE,
      },
    });
    backend({
      ...ASTRO,
      inventory_aws: () => [row("data-lake"), row("old")],
      revoke_plan: () => ({
        planId: "revoke-1",
        identity: ARN,
        aws: [change("data-lake")],
        gcp: [],
      }),
    });
    const { container } = render(Inventory, { awsProfiles: ["prod"], onexit: () => {} });
    await fireEvent.click(screen.getByRole("button", { name: "Read AWS roles" }));
    await screen.findByTestId("inventory-rows");
    await expectAccessible(container);
    await fireEvent.click(screen.getAllByRole("button", { name: `Offboard ${ARN}` })[0]!);
    await screen.findByTestId("revoke-panel");
    await expectAccessible(container);
  });

  it("the AWS journey, step by step to the review, its editor and export", async () => {
    backend({
      ...TRUST_EDITOR,
      astro_token_sources: () => [],
      aws_parse_identities: (args) =>
        String(args.text).includes("123456789876")
          ? { valid: [String(args.text).trim()], errors: [] }
          : {
              valid: [],
              errors: [{ input: String(args.text), message: "not an ARN", hint: "Copy it again." }],
            },
      aws_caller: () => CALLER,
      aws_list_roles: () => [
        {
          name: "astro-sales",
          arn: "arn:aws:iam::123456789012:role/astro-sales",
          description: null,
        },
      ],
      aws_plan: () => ({
        planId: "plan-0",
        change: {
          caller: CALLER,
          roleName: "astro-deployments",
          roleArn: null,
          create: null,
          remoteBefore: null,
          quota: 2048,
          plan: {
            beforeJson: null,
            afterJson: TRUST,
            compactAfter: TRUST,
            diff: [{ kind: "added", text: `"${ARN}"` }],
            lints: [WARNING],
            size: SIZE,
            changed: true,
            blocked: false,
            needsConfirmation: true,
            added: [ARN],
            alreadyTrusted: [],
            removed: [],
          },
        },
      }),
      export_plan: (args) => ({ format: args.format, fileName: "x.tf", text: "# terraform" }),
    });
    const { container } = render(AwsJourney, { credentials: null, onexit: () => {} });
    const next = async () => {
      await fireEvent.click(screen.getByRole("button", { name: "Next" }));
      await pause();
    };

    // Identities: one bad line, then the good one.
    const box = screen.getByLabelText("Workload identity ARNs");
    await fireEvent.input(box, { target: { value: "arn:aws:iam::1:role/x" } });
    await pause(250);
    await expectAccessible(container);
    await fireEvent.input(box, { target: { value: ARN } });
    await pause(250);
    await next();

    // Credentials, with the access-key form and the advanced options open.
    await fireEvent.click(screen.getByLabelText(/Enter access keys/));
    await expectAccessible(container);
    await next();

    // Role: the existing roles, listed.
    await fireEvent.click(screen.getByLabelText("Use an existing role"));
    await screen.findByTestId("role-list");
    await expectAccessible(container);
    await fireEvent.click(screen.getByLabelText("Create a new role"));
    await next();

    // Review: lints, diff, size, confirmation, export; then the policy editor.
    await screen.findByTestId("review-summary");
    await screen.findByRole("textbox", { name: "Export text" });
    await expectAccessible(container);
    await fireEvent.click(screen.getByRole("button", { name: "Edit the policy…" }));
    await screen.findByTestId("statement-0");
    await pause(250);
    await expectAccessible(container);
  });

  it("the AWS permissions step: catalog, a policy's document, the inline editor and a review", async () => {
    backend({
      aws_managed_policy_catalog: () => [
        {
          name: "ReadOnlyAccess",
          arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
          path: "/",
          description: "Read-only access",
        },
      ],
      aws_managed_policy_document: () => '{"Statement": []}',
      aws_action_services: () => [{ prefix: "s3", name: "Amazon S3", actionCount: 3 }],
      aws_arn_templates: () => [{ label: "S3 object", template: "arn:aws:s3:::${Bucket}/*" }],
      aws_search_actions: () => [{ action: "s3:PutObject", access: "write" }],
      aws_permission_policy_analyze: () => ({
        state: "valid",
        view: {
          statements: [
            {
              index: 0,
              sid: null,
              effect: "Allow",
              actions: ["s3:GetObject"],
              notActions: false,
              resources: ["arn:aws:s3:::my-bucket/*"],
              notResources: false,
              conditions: [{ operator: "StringEquals", key: "aws:SourceVpce", values: ["v"] }],
              otherFields: [],
            },
          ],
          hasUnknownTopLevelFields: false,
        },
        pretty: INLINE_TEMPLATE,
        lints: [],
        size: 180,
        quota: 10240,
      }),
      aws_plan_inline: () => ({
        planId: "perm-1",
        plan: {
          caller: CALLER,
          roleName: "data",
          target: { kind: "inline", name: "astro-access" },
          before: "{}",
          after: INLINE_TEMPLATE,
          diff: [{ kind: "added", text: '"s3:GetObject"' }],
          changed: true,
          replaces: true,
        },
      }),
    });
    const journey = new AwsJourneyState();
    journey.roleName = "data";
    const { container } = render(PermissionsStep, { journey });
    await screen.findByTestId("permission-statement-0");
    await fireEvent.input(screen.getByLabelText("Service of statement 1"), {
      target: { value: "s3" },
    });
    await pause(150);
    await screen.findByRole("list", { name: "Suggested actions for statement 1" });
    await fireEvent.click(
      screen.getByRole("button", { name: "Show the document of ReadOnlyAccess" }),
    );
    await screen.findByTestId("policy-document");
    await expectAccessible(container);
    await fireEvent.click(screen.getByRole("button", { name: "Write inline policy" }));
    await screen.findByTestId("permission-review");
    await expectAccessible(container);
  });

  it("the GCP journey: identity, project, roles, review with what the grant allows", async () => {
    const ACCOUNT = "astro-fiery-nebula-1234@astronomer-prod.iam.gserviceaccount.com";
    backend({
      astro_token_sources: () => [],
      gcp_parse_service_account: (args) =>
        String(args.text).endsWith(".iam.gserviceaccount.com")
          ? { member: `serviceAccount:${String(args.text)}`, error: null }
          : {
              member: null,
              error: {
                code: "invalid_input",
                message: "service_account: must end with .iam.gserviceaccount.com",
                hint: "Copy it from the Deployment's details.",
                field: "service_account",
              },
            },
      gcp_search_roles: () => [
        {
          name: "roles/bigquery.jobUser",
          title: "BigQuery Job User",
          description: "Run jobs",
          stage: "GA",
        },
        { name: "roles/owner", title: "Owner", description: "Everything", stage: "GA" },
        { name: "roles/x.beta", title: "Beta", description: "New", stage: "BETA" },
      ],
      gcp_role_permissions: () => [
        {
          role: "roles/bigquery.jobUser",
          known: true,
          total: 2,
          matched: 2,
          matches: ["bigquery.jobs.create", "bigquery.jobs.get"],
        },
      ],
      gcp_plan: () => ({
        planId: "plan-0",
        change: {
          resource: { kind: "project", id: "astro-data" },
          principal: null,
          consoleUrl: "https://console.cloud.google.com/",
          plan: {
            beforeJson: "{}",
            afterJson: "{}",
            compactAfter: "{}",
            diff: [{ kind: "added", text: `"serviceAccount:${ACCOUNT}"` }],
            lints: [{ ...WARNING, code: "basic_role", binding: 0 }],
            changed: true,
            blocked: false,
            needsConfirmation: true,
            role: "roles/bigquery.jobUser",
            member: `serviceAccount:${ACCOUNT}`,
            members: [`serviceAccount:${ACCOUNT}`],
            condition: null,
            principalCount: 2,
            groupCount: 0,
            added: [],
            removed: [],
          },
        },
      }),
      export_plan: (args) => ({ format: args.format, fileName: "x.tf", text: "# terraform" }),
    });
    const { container } = render(GcpJourney, { credentials: null, onexit: () => {} });
    const type = async (label: string, value: string) => {
      await fireEvent.input(screen.getByLabelText(label), { target: { value } });
      await pause(250);
    };
    const next = async () => {
      await fireEvent.click(screen.getByRole("button", { name: "Next" }));
      await pause();
    };

    await fireEvent.click(screen.getByLabelText(/Grant roles to Astro's service account/));
    await type("Deployment service account", "astro@gmail.com");
    await screen.findByRole("alert");
    await expectAccessible(container);
    await type("Deployment service account", ACCOUNT);
    await next();

    await type("Project ID", "astro-data");
    await fireEvent.click(screen.getByLabelText(/Paste a service account key/));
    await expectAccessible(container);
    await next();

    await type("Search roles", "bigquery");
    await fireEvent.click(screen.getByLabelText(/Owner/));
    await fireEvent.click(screen.getByLabelText(/Only when a condition holds/));
    await expectAccessible(container);
    await fireEvent.click(screen.getByLabelText(/Owner/));
    await fireEvent.click(screen.getByLabelText(/BigQuery Job User/));
    await fireEvent.click(screen.getByLabelText(/Only when a condition holds/));
    await next();

    await screen.findByTestId("review-summary");
    await screen.findByRole("textbox", { name: "Export text" });
    await expectAccessible(container);
  });

  it("the Deployment picker: a token, filters, and a list with ineligible rows", async () => {
    backend(ASTRO);
    const picker = new Picker("AWS");
    const { container } = render(DeploymentPicker, { picker });
    await pause(20);
    await fireEvent.change(screen.getByLabelText("Astro API token"), { target: { value: "new" } });
    await expectAccessible(container);
    await fireEvent.change(screen.getByLabelText("Astro API token"), {
      target: { value: "astro" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Connect" }));
    await screen.findByTestId("deployment-a1");
    await fireEvent.click(screen.getByLabelText(/Deployment a2/));
    await expectAccessible(container);
  });

  it("the Airflow connection: tabs, more options, provider check and creation", async () => {
    const connection = awsConnection;
    const input: ConnectionInput = {
      kind: "aws",
      input: {
        connId: "aws_default",
        roleArn: "arn:aws:iam::123456789012:role/astro-data",
        region: "us-east-1",
        externalId: null,
        webIdentity: false,
      },
    };
    backend({
      ...ASTRO,
      airflow_provider_check: () => ({
        provider: "apache-airflow-providers-amazon",
        requirementLine: "apache-airflow-providers-amazon",
        requirementsPath: "/home/ada/proj/requirements.txt",
        exists: true,
        found: null,
        includes: [],
        problems: ["line 3: cannot parse"],
      }),
      airflow_connection_plan: () => ({
        planId: "plan-7",
        plan: {
          target: "the Airflow at http://localhost:8080",
          connId: "aws_default",
          action: "replace",
          existing: null,
          proposed: "{}",
          diff: [{ kind: "added", text: '  "role_arn": "x"' }],
          hiddenKeys: ["aws_secret_access_key"],
          undoAvailable: false,
        },
      }),
    });
    const picker = new Picker("AWS");
    const first = render(ConnectionResult, { connection, input: () => input, picker });
    await fireEvent.keyDown(screen.getByRole("tab", { name: "Airflow UI" }), { key: "End" });
    expect(screen.getAllByRole("tab").at(-1)?.getAttribute("aria-selected")).toBe("true");
    await fireEvent.input(screen.getByLabelText("Astro project folder"), {
      target: { value: "/home/ada/proj" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Check" }));
    await screen.findByTestId("provider-result");
    await fireEvent.click(screen.getByRole("button", { name: "Check the connection" }));
    await screen.findByTestId("connection-plan");
    await expectAccessible(first.container);
    await fireEvent.click(screen.getByLabelText(/Astro Environment Manager$/));
    await expectAccessible(first.container);
    first.unmount();

    const options = render(ConnectionOptions, {
      scope: "DEPLOYMENT",
      entityId: "",
      onchange: () => {},
    });
    await expectAccessible(options.container);
  });

  it("the export panel and the policy editors' forms", async () => {
    backend({
      ...TRUST_EDITOR,
      export_plan: (args) => ({ format: args.format, fileName: "x", text: "# export" }),
      gcp_bindings_analyze: () => ({
        state: "valid",
        view: {
          bindings: [
            {
              index: 0,
              role: "roles/storage.objectViewer",
              members: ["user:ada@example.com"],
              condition: { title: "Until 2027", description: null, expression: "true" },
              basic: false,
            },
            {
              index: 1,
              role: "roles/viewer",
              members: ["user:bob@example.com"],
              condition: null,
              basic: true,
            },
            {
              index: 2,
              role: "roles/bigquery.jobUser",
              members: ["user:cy@example.com"],
              condition: null,
              basic: false,
            },
          ],
          version: 3,
          hasAuditConfigs: true,
          principalCount: 3,
        },
        pretty: "{}",
        lints: [{ ...WARNING, code: "basic_role", binding: 1, statement: undefined }],
      }),
      gcp_role_permissions: () => [
        { role: "roles/custom", known: false, total: 0, matched: 0, matches: [] },
      ],
    });
    const exported = render(ExportPanel, { planId: "plan-7", cloud: "gcp" });
    await screen.findByRole("textbox", { name: "Export text" });
    await expectAccessible(exported.container);
    exported.unmount();

    const trust = render(TrustPolicyEditor, { text: TRUST });
    await screen.findByTestId("statement-0");
    await pause(250);
    await expectAccessible(trust.container);
    trust.unmount();

    const bindings = render(BindingsEditor, { text: "{}" });
    await fireEvent.click(
      await screen.findByRole("button", { name: "Add a condition to roles/bigquery.jobUser" }),
    );
    await screen.findByRole("form", { name: "Condition of roles/bigquery.jobUser" });
    await expectAccessible(bindings.container);
    bindings.unmount();

    const allows = render(WhatRolesAllow, { roles: ["roles/custom"], condition: "Until 2027" });
    await pause(200);
    await expectAccessible(allows.container);
  });
});
