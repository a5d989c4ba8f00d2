import type { AstroScope, AstroScopeKind } from "../ipc";
import { Runner } from "../ui/runner.svelte";

/** What every journey tracks: where the user is, what is running, what went wrong. */
export class Journey extends Runner {
  step = $state(0);
  /** The furthest step reached; the rail lets the user go back to any step up to it. */
  reached = $state(0);
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
    this.skipTo(this.step + 1);
  }

  /** Goes forward to `index`, past steps that do not apply (a batch has no connection). */
  skipTo(index: number) {
    this.step = index;
    this.reached = Math.max(this.reached, this.step);
  }
}
