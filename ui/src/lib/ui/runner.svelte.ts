import type { IpcError, Outcome } from "../ipc";

/**
 * One backend call at a time with its progress line: what is running, and what went wrong.
 * Journeys extend it; panels that run their own calls hold one.
 */
export class Runner {
  /** The progress line of the network step under way, e.g. "Reading role x in 1234…". */
  busy = $state<string | null>(null);
  error = $state<IpcError | null>(null);

  /** Runs one backend call; errors land in `error`, not thrown. A call that throws (a bug,
   * not an answer) is reported the same way, so the progress line never stays up. */
  async run<T>(what: string, call: () => Promise<Outcome<T>>): Promise<T | null> {
    this.busy = what;
    this.error = null;
    let result: Outcome<T>;
    try {
      result = await call();
    } catch (cause) {
      result = {
        status: "error",
        error: {
          code: "ipc_failed",
          message: `The app failed while ${what.replace(/…$/, "").toLowerCase()}: ${String(cause)}`,
          hint: "Restart Astro Identity. If it happens again, report it with this message.",
          field: null,
        },
      };
    }
    this.busy = null;
    if (result.status === "error") {
      this.error = result.error;
      return null;
    }
    return result.data;
  }
}
