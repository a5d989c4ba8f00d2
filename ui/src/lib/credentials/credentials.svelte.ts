import { backend } from "../ipc";
import type { CredentialSummary, IpcError, SecretKey } from "../ipc";

/** The home screen's view of the machine's credentials, loaded over IPC. */
export class CredentialsState {
  summary = $state<CredentialSummary | null>(null);
  error = $state<IpcError | null>(null);
  loading = $state(false);

  async refresh(): Promise<void> {
    this.loading = true;
    const result = await backend.credentialSummary();
    this.loading = false;
    if (result.status === "ok") {
      this.summary = result.data;
      this.error = null;
    } else {
      this.error = result.error;
    }
  }

  async forget(key: SecretKey): Promise<void> {
    const result = await backend.forgetSecret(key.provider, key.profile);
    if (result.status === "error") {
      this.error = result.error;
      return;
    }
    await this.refresh();
  }
}
