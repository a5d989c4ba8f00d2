import type { AstroScope, AstroScopeKind, IpcError } from "../ipc";

type Outcome<T> = { status: "ok"; data: T } | { status: "error"; error: IpcError };

/** What every journey tracks: where the user is, what is running, what went wrong. */
export class Journey {
  step = $state(0);
  /** The furthest step reached; the rail lets the user go back to any step up to it. */
  reached = $state(0);
  /** The progress line of the network step under way, e.g. "Reading role x in 1234…". */
  busy = $state<string | null>(null);
  error = $state<IpcError | null>(null);

  /** Where the Astro Environment Manager body puts the connection (the last step). */
  astroScope = $state<AstroScopeKind>("DEPLOYMENT");
  astroEntityId = $state("");

  protected astroScopeInput(): AstroScope | null {
    const entityId = this.astroEntityId.trim();
    return entityId ? { scope: this.astroScope, entityId } : null;
  }

  go(index: number) {
    if (index <= this.reached) this.step = index;
  }

  advance() {
    this.step += 1;
    this.reached = Math.max(this.reached, this.step);
  }

  /** Runs one backend call with its progress line; errors land in `error`, not thrown. */
  protected async run<T>(what: string, call: () => Promise<Outcome<T>>): Promise<T | null> {
    this.busy = what;
    this.error = null;
    const result = await call();
    this.busy = null;
    if (result.status === "error") {
      this.error = result.error;
      return null;
    }
    return result.data;
  }
}
