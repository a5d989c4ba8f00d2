import type { AwsProfileKind } from "../ipc";

/** What each kind of AWS profile is called, in every screen (the home screen and the
 * account step say the same words). */
export const AWS_PROFILE_KIND: Record<AwsProfileKind, string> = {
  sso: "SSO",
  assumeRole: "assume role",
  webIdentity: "web identity",
  credentialProcess: "credential process",
  staticKeys: "access keys",
  settingsOnly: "settings only",
};
