import { backend } from "../ipc";
import type { AstroAccount, AstroTokenSource } from "../ipc";

/** "env" or the keyring profile: how a token source is keyed. */
export function sourceKey(source: AstroTokenSource): string {
  return source.kind === "env" ? "env" : source.profile;
}

/**
 * Which organization each Astro API token belongs to, as the home screen shows it (never
 * the token). Checked once per session, at the address the picker last used for it.
 */
class AstroAccounts {
  /** By source key: the organizations' names, or why they could not be read. */
  organizations = $state<Record<string, string>>({});
  envSet = $state(false);
  private baseUrls = new Map<string, string | null>();

  remember(source: AstroTokenSource, account: AstroAccount, baseUrl: string | null) {
    const key = sourceKey(source);
    this.baseUrls.set(key, baseUrl);
    this.organizations = { ...this.organizations, [key]: names(account) };
  }

  /** The Astro API address last used with this source (`null`: the default one). */
  baseUrlFor(key: string): string | null {
    return this.baseUrls.get(key) ?? null;
  }

  async refresh() {
    const sources = await backend.astroTokenSources();
    if (sources.status !== "ok") return;
    this.envSet = sources.data.some((s) => s.kind === "env");
    for (const source of sources.data) {
      const key = sourceKey(source);
      if (key in this.organizations) continue;
      const baseUrl = this.baseUrls.get(key) ?? null;
      const account = await backend.astroConnect({ source, baseUrl }, null);
      const text =
        account.status === "ok" ? names(account.data) : `not checked: ${account.error.message}`;
      this.organizations = { ...this.organizations, [key]: text };
    }
  }
}

function names(account: AstroAccount): string {
  const list = account.organizations.map((o) => o.name);
  return list.length ? `organization ${list.join(", ")}` : "sees no organization";
}

export const astroAccounts = new AstroAccounts();
