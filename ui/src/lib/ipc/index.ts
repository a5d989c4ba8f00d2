// The only module that talks to Tauri. Views import typed functions and types from here;
// tests replace the transport with `mockIPC` from @tauri-apps/api/mocks.
import { Channel } from "@tauri-apps/api/core";
import { commands } from "./bindings";
import type {
  AttachRoleRequest_Deserialize as AttachRoleRequest,
  AttachSaWindowRequest_Deserialize as AttachSaWindowRequest,
  BatchPlanRequest_Deserialize as BatchPlanRequest,
  BatchProgress_Deserialize as BatchProgressEvent,
  BatchProgress_Serialize as BatchProgressSent,
  GrantBatchRequest_Deserialize as GrantBatchRequest,
  GrantProgress_Deserialize as GrantProgressEvent,
  GrantProgress_Serialize as GrantProgressSent,
  AstroMatch_Deserialize as AstroMatch,
  GcpPlaces_Deserialize as GcpPlaces,
  RevokeRequest_Deserialize as RevokeRequest,
  AssumeRequest,
  AstroAccess_Deserialize as AstroAccess,
  ConnectionDestination_Deserialize as ConnectionDestination,
  ConnectionInput_Deserialize as ConnectionInput,
  AstroScope,
  AwsConnectionInput,
  GcpConnectionInput,
  AwsTarget_Deserialize as AwsTarget,
  BindingsOp_Deserialize as BindingsOp,
  DocumentPlanRequest_Deserialize as DocumentPlanRequest,
  PolicyDocumentRequest_Deserialize as PolicyDocumentRequest,
  EditOp,
  ExportFormat,
  GcpTarget_Deserialize as GcpTarget,
  GrantRequest_Deserialize as GrantRequest,
  IpcError_Serialize as IpcError,
  PermissionEditOp,
  PlanRequest_Deserialize as PlanRequest,
  Provider,
  UndoRequest_Deserialize as UndoRequest,
  RoleAllows as RoleAllowsAnswer,
} from "./bindings";

// Commands return the `_Serialize` shape of each type (what Rust sends); views use plain names.
// Arguments use the `_Deserialize` shape (what Rust accepts).
export type {
  AccessLevel,
  ActionInfo,
  AdcStatus_Serialize as AdcStatus,
  ArnTemplate,
  AirflowConnection_Serialize as AirflowConnection,
  AppInfo,
  AstroAccess_Deserialize as AstroAccess,
  AttachOutcome_Serialize as AttachOutcome,
  AttachSaOutcome_Serialize as AttachSaOutcome,
  Admission_Serialize as Admission,
  RoleAllows,
  InventoryRow_Serialize as InventoryRow,
  AstroMatch_Deserialize as AstroMatch,
  GcpPlaces_Deserialize as GcpPlaces,
  PlannedRevoke_Serialize as PlannedRevoke,
  Matched,
  DeploymentTag,
  AssumeCaller,
  AssumeRequest,
  Evaluation_Serialize as Evaluation,
  StatementFinding_Serialize as StatementFinding,
  Decision,
  AttachSaPlan_Serialize as AttachSaPlan,
  PlannedAttachSa_Serialize as PlannedAttachSa,
  CmiPlan_Serialize as CmiPlan,
  PlannedAttach_Serialize as PlannedAttach,
  AstroAccount,
  AstroScope,
  AstroScopeKind,
  AstroTokenSource,
  CloudProvider,
  Deployment_Serialize as Deployment,
  DeploymentPage_Serialize as DeploymentPage,
  Organization,
  Workspace,
  AwsConnectionInput_Deserialize as AwsConnectionInput,
  GcpConnectionInput_Deserialize as GcpConnectionInput,
  AwsProfile_Serialize as AwsProfile,
  AwsProfileKind,
  AwsTarget_Deserialize as AwsTarget,
  BindingOutcome_Serialize as BindingOutcome,
  BindingsOp_Deserialize as BindingsOp,
  BindingsState_Serialize as BindingsState,
  BindingsView_Serialize as BindingsView,
  Caller,
  ChangeOutcome_Serialize as ChangeOutcome,
  Condition_Deserialize as Condition,
  ConditionPreset,
  ConditionView,
  AddOutcome,
  ConnectionDestination_Deserialize as ConnectionDestination,
  ConnectionFormat,
  ConnectionInput_Deserialize as ConnectionInput,
  ConnectionOutcome_Serialize as ConnectionOutcome,
  ConnectionPlan_Serialize as ConnectionPlan,
  PlannedConnection_Serialize as PlannedConnection,
  ProviderCheck_Serialize as ProviderCheck,
  RemoveOutcome,
  CredentialSummary_Serialize as CredentialSummary,
  DiffLine,
  EditOp,
  EditorState_Serialize as EditorState,
  GcpTarget_Deserialize as GcpTarget,
  GrantableRole,
  GrantRequest_Deserialize as GrantRequest,
  HistoryItem_Serialize as HistoryItem,
  HistoryStatus,
  IamLint_Serialize as IamLint,
  IpcError_Serialize as IpcError,
  IpcErrorCode,
  Lint_Serialize as Lint,
  ManagedPolicy_Serialize as ManagedPolicy,
  ManagedPolicySummary,
  NewRole_Deserialize as NewRole,
  PermissionEditOp,
  PermissionEditorState_Serialize as PermissionEditorState,
  PermissionOutcome_Serialize as PermissionOutcome,
  PermissionPlan_Serialize as PermissionPlan,
  PermissionTarget,
  PermissionView_Serialize as PermissionView,
  PolicyView_Serialize as PolicyView,
  ParsedIdentities,
  PlanRequest_Deserialize as PlanRequest,
  PlannedChange_Serialize as PlannedChange,
  PlannedBatch_Serialize as PlannedBatch,
  BatchRoleOutcome_Serialize as BatchRoleOutcome,
  BatchRolePlan_Serialize as BatchRolePlan,
  BatchProgress_Serialize as BatchProgress,
  PlannedGrantBatch_Serialize as PlannedGrantBatch,
  GrantItemPlan_Serialize as GrantItemPlan,
  GrantItemOutcome_Serialize as GrantItemOutcome,
  GrantProgress_Serialize as GrantProgress,
  BatchProgressState,
  ExportFormat,
  ExportText,
  OfflineAwsInput_Deserialize as OfflineAwsInput,
  OfflineGcpInput_Deserialize as OfflineGcpInput,
  PlannedGrant_Serialize as PlannedGrant,
  PlannedPermission_Serialize as PlannedPermission,
  ParsedServiceAccount_Serialize as ParsedServiceAccount,
  RoleInfo_Serialize as RoleInfo,
  Provider,
  RenderedFormat_Serialize as RenderedFormat,
  RoleSummary_Serialize as RoleSummary,
  TrustQuotaReading_Serialize as TrustQuotaReading,
  SecretKey,
  ServiceSummary,
  SettleReport,
  SettleResult,
  TrustPlan_Serialize as TrustPlan,
  UndoOutcome_Serialize as UndoOutcome,
  UndoPlan,
  UndoRequest_Deserialize as UndoRequest,
} from "./bindings";

export type Outcome<T> = { status: "ok"; data: T } | { status: "error"; error: IpcError };

/** Turns a rejected invoke (unknown command, denied permission) into the usual error shape. */
async function settle<T>(call: Promise<Outcome<T>>): Promise<Outcome<T>> {
  try {
    return await call;
  } catch (cause) {
    return {
      status: "error",
      error: {
        code: "ipc_failed",
        message: `The app's backend did not answer: ${String(cause)}`,
        hint: "Restart Astro Identity. If it happens again, report it with this message.",
        field: null,
      },
    };
  }
}

export const backend = {
  appInfo: () => commands.appInfo(),
  credentialSummary: () => settle(commands.credentialSummary()),
  diagnosticsReport: () => settle(commands.diagnosticsReport()),
  forgetSecret: (provider: Provider, profile: string) =>
    settle(commands.forgetSecret(provider, profile)),
  openConsole: (url: string) => settle(commands.openConsole(url)),
  airflowAwsConnection: (input: AwsConnectionInput, astroScope: AstroScope | null) =>
    settle(commands.airflowAwsConnection(input, astroScope)),
  awsParseIdentities: (text: string) => commands.awsParseIdentities(text),
  awsCaller: (target: AwsTarget) => settle(commands.awsCaller(target)),
  awsTrustQuota: (target: AwsTarget) => settle(commands.awsTrustQuota(target)),
  awsListRoles: (target: AwsTarget, search: string) =>
    settle(commands.awsListRoles(target, search)),
  awsListPolicies: (target: AwsTarget, search: string) =>
    settle(commands.awsListPolicies(target, search)),
  awsPlanAttach: (target: AwsTarget, roleName: string, policyArn: string) =>
    settle(commands.awsPlanAttach(target, roleName, policyArn)),
  awsPlanInline: (target: AwsTarget, roleName: string, policyName: string, document: string) =>
    settle(commands.awsPlanInline(target, roleName, policyName, document)),
  awsApplyPermission: (planId: string, confirmReplace: boolean) =>
    settle(commands.awsApplyPermission(planId, confirmReplace)),
  awsTrustWho: (policy: string) => settle(commands.awsTrustWho(policy)),
  gcpRolePermissions: (roles: string[], query: string) =>
    settle(
      commands
        .gcpRolePermissions(roles, query)
        .then((data): Outcome<RoleAllowsAnswer[]> => ({ status: "ok", data })),
    ),
  awsTrustEvaluate: (policy: string, requests: AssumeRequest[]) =>
    settle(commands.awsTrustEvaluate(policy, requests)),
  awsTrustPolicyAnalyze: (text: string, quota: number | null) =>
    commands.awsTrustPolicyAnalyze(text, quota),
  awsTrustPolicyEdit: (text: string, op: EditOp) => settle(commands.awsTrustPolicyEdit(text, op)),
  awsConditionPresets: () => commands.awsConditionPresets(),
  awsPermissionPolicyAnalyze: (text: string) => commands.awsPermissionPolicyAnalyze(text),
  awsPermissionPolicyEdit: (text: string, op: PermissionEditOp) =>
    settle(commands.awsPermissionPolicyEdit(text, op)),
  awsPermissionPolicyTemplate: () => commands.awsPermissionPolicyTemplate(),
  awsActionServices: () => commands.awsActionServices(),
  awsSearchActions: (prefix: string, query: string) => commands.awsSearchActions(prefix, query),
  awsArnTemplates: (prefix: string) => commands.awsArnTemplates(prefix),
  awsManagedPolicyCatalog: (query: string) => commands.awsManagedPolicyCatalog(query),
  awsManagedPolicyDocument: (arn: string) => commands.awsManagedPolicyDocument(arn),
  awsPlanDocument: (request: DocumentPlanRequest) => settle(commands.awsPlanDocument(request)),
  awsPlan: (request: PlanRequest) => settle(commands.awsPlan(request)),
  awsPlanBatch: (request: BatchPlanRequest) => settle(commands.awsPlanBatch(request)),
  /** Applies a batch; `onProgress` hears each role as it is done. */
  awsApplyBatch: (
    planId: string,
    confirmWarnings: boolean,
    onProgress: (progress: BatchProgressSent) => void,
  ) => {
    const channel = new Channel<BatchProgressEvent>();
    // Rust sends every field (the `_Serialize` shape).
    channel.onmessage = (progress) => onProgress(progress as BatchProgressSent);
    return settle(commands.awsApplyBatch(planId, confirmWarnings, channel));
  },
  exportPlan: (planId: string, format: ExportFormat) => settle(commands.exportPlan(planId, format)),
  exportSave: (planId: string, format: ExportFormat) => settle(commands.exportSave(planId, format)),
  awsApply: (planId: string, confirmWarnings: boolean) =>
    settle(commands.awsApply(planId, confirmWarnings)),
  awsUndo: (target: AwsTarget, journalId: string | null) =>
    settle(commands.awsUndo(target, journalId)),
  gcpParseServiceAccount: (text: string) => commands.gcpParseServiceAccount(text),
  gcpSearchRoles: (query: string, limit: number) => commands.gcpSearchRoles(query, limit),
  gcpGrantableRoles: (target: GcpTarget, project: string) =>
    settle(commands.gcpGrantableRoles(target, project)),
  gcpPlan: (request: GrantRequest) => settle(commands.gcpPlan(request)),
  gcpPlanBatch: (request: GrantBatchRequest) => settle(commands.gcpPlanBatch(request)),
  /** Applies a batch of grants; `onProgress` hears each grant as it is done. */
  gcpApplyBatch: (
    planId: string,
    confirmWarnings: boolean,
    onProgress: (progress: GrantProgressSent) => void,
  ) => {
    const channel = new Channel<GrantProgressEvent>();
    channel.onmessage = (progress) => onProgress(progress as GrantProgressSent);
    return settle(commands.gcpApplyBatch(planId, confirmWarnings, channel));
  },
  gcpBindingsAnalyze: (text: string) => commands.gcpBindingsAnalyze(text),
  gcpBindingsEdit: (text: string, op: BindingsOp) => settle(commands.gcpBindingsEdit(text, op)),
  gcpPlanDocument: (request: PolicyDocumentRequest) => settle(commands.gcpPlanDocument(request)),
  gcpApply: (planId: string, confirmWarnings: boolean) =>
    settle(commands.gcpApply(planId, confirmWarnings)),
  gcpUndo: (target: GcpTarget, journalId: string | null) =>
    settle(commands.gcpUndo(target, journalId)),
  gcpStoreKey: (profile: string, keyJson: string) => settle(commands.gcpStoreKey(profile, keyJson)),
  airflowGcpConnection: (input: GcpConnectionInput, astroScope: AstroScope | null) =>
    settle(commands.airflowGcpConnection(input, astroScope)),
  airflowConnectionPlan: (
    destination: ConnectionDestination,
    input: ConnectionInput,
    token: string | null,
  ) => settle(commands.airflowConnectionPlan(destination, input, token)),
  airflowConnectionApply: (planId: string, confirmReplace: boolean) =>
    settle(commands.airflowConnectionApply(planId, confirmReplace)),
  airflowConnectionUndo: (destination: ConnectionDestination, journalId: string | null) =>
    settle(commands.airflowConnectionUndo(destination, journalId)),
  airflowProviderCheck: (dir: string, input: ConnectionInput) =>
    settle(commands.airflowProviderCheck(dir, input)),
  airflowAddProvider: (dir: string, input: ConnectionInput) =>
    settle(commands.airflowAddProvider(dir, input)),
  airflowUndoProvider: (journalId: string) => settle(commands.airflowUndoProvider(journalId)),
  journalPending: () => settle(commands.journalPending()),
  journalSettleAws: (target: AwsTarget) => settle(commands.journalSettleAws(target)),
  journalSettleGcp: (target: GcpTarget) => settle(commands.journalSettleGcp(target)),
  journalHistory: () => settle(commands.journalHistory()),
  journalPlanUndo: (request: UndoRequest) => settle(commands.journalPlanUndo(request)),
  journalApplyUndo: (planId: string) => settle(commands.journalApplyUndo(planId)),
  awsPlanAttachRole: (request: AttachRoleRequest) => settle(commands.awsPlanAttachRole(request)),
  awsApplyAttachRole: (planId: string, confirmWarnings: boolean) =>
    settle(commands.awsApplyAttachRole(planId, confirmWarnings)),
  gcpPlanAttachSa: (request: AttachSaWindowRequest) => settle(commands.gcpPlanAttachSa(request)),
  gcpApplyAttachSa: (planId: string, confirmWarnings: boolean) =>
    settle(commands.gcpApplyAttachSa(planId, confirmWarnings)),
  inventoryAws: (target: AwsTarget, astro: AstroMatch | null) =>
    settle(commands.inventoryAws(target, astro)),
  inventoryGcp: (places: GcpPlaces, astro: AstroMatch | null) =>
    settle(commands.inventoryGcp(places, astro)),
  revokePlan: (request: RevokeRequest) => settle(commands.revokePlan(request)),
  revokeApply: (planId: string) => settle(commands.revokeApply(planId)),
  astroTokenSources: () => settle(commands.astroTokenSources()),
  astroConnect: (access: AstroAccess, token: string | null) =>
    settle(commands.astroConnect(access, token)),
  astroWorkspaces: (access: AstroAccess, organizationId: string) =>
    settle(commands.astroWorkspaces(access, organizationId)),
  astroDeploymentPage: (
    access: AstroAccess,
    organizationId: string,
    workspaceIds: string[],
    offset: number,
  ) => settle(commands.astroDeploymentPage(access, organizationId, workspaceIds, offset)),
  awsStoreKeys: (profile: string, accessKeyId: string, secretAccessKey: string) =>
    settle(commands.awsStoreKeys(profile, accessKeyId, secretAccessKey)),
};
