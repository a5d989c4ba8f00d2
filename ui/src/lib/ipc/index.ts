// The only module that talks to Tauri. Views import typed functions and types from here;
// tests replace the transport with `mockIPC` from @tauri-apps/api/mocks.
import { commands } from "./bindings";
import type { IpcError_Serialize as IpcError } from "./bindings";

// Commands return the `_Serialize` shape of each type (what Rust sends); views use plain names.
export type {
  AdcStatus_Serialize as AdcStatus,
  AppInfo,
  AwsProfile_Serialize as AwsProfile,
  AwsProfileKind,
  CredentialSummary_Serialize as CredentialSummary,
  IpcError_Serialize as IpcError,
  Provider,
  SecretKey,
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
  forgetSecret: (provider: "aws" | "gcp", profile: string) =>
    settle(commands.forgetSecret(provider, profile)),
};
