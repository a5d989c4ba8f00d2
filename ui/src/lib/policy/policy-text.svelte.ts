import { tick } from "svelte";
import type { Outcome } from "../ipc";

/** The page-timeline measures `make bench` reads: keystroke or form edit → repainted. */
const KEYSTROKE_MEASURE = "policy-editor:keystroke";
const FORM_EDIT_MEASURE = "policy-editor:form-edit";
/** Keystroke → Rust's analysis back in the page (before Svelte updates the DOM). */
const ANALYSIS_MEASURE = "policy-editor:analysis";

function measureNow(name: string, start: number): void {
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch {
    // Test DOMs without the User Timing API: nothing to record.
  }
}

/** Records `name` from `start` to just after the next frame is painted with the new state. */
async function measureRepaint(name: string, start: number): Promise<void> {
  await tick();
  // The frame callback runs before the paint; the task queued from it runs after it.
  requestAnimationFrame(() => setTimeout(() => measureNow(name, start)));
}

/**
 * A policy edited as text and as a form at once. Rust analyzes the text (view, lints, or
 * where it breaks) and applies each form edit; this keeps the last valid view so a typo in
 * the JSON never takes the form away. Every keystroke is analyzed (Rust takes well under a
 * millisecond); an answer that a later keystroke's overtook is dropped.
 */
export class PolicyText<State extends { state: string }, View, Op> {
  analysis = $state<State | null>(null);
  view = $state<View | null>(null);
  editError = $state<string | null>(null);

  constructor(
    private readonly text: { get: () => string; set: (text: string) => void },
    private readonly backend: {
      analyze: (text: string) => Promise<State>;
      edit: (text: string, op: Op) => Promise<Outcome<string>>;
      viewOf: (state: State) => View | null;
    },
  ) {}

  /** Where the text stops being a policy (for the JSON pane), or null while it is one. */
  get invalid(): { message: string; line: number; column: number } | null {
    const analysis = this.analysis as
      (State & { message?: string; line?: number; column?: number }) | null;
    if (analysis?.state !== "invalid") return null;
    return {
      message: analysis.message ?? "",
      line: analysis.line ?? 1,
      column: analysis.column ?? 1,
    };
  }

  /** Numbers each analysis so only the newest text's answer is shown. */
  private asked = 0;

  /** Analyzes the current text; false when a newer analysis overtook this one. */
  async analyze(): Promise<boolean> {
    const ask = ++this.asked;
    const analysis = await this.backend.analyze(this.text.get());
    if (ask !== this.asked) return false;
    this.analysis = analysis;
    const view = this.backend.viewOf(analysis);
    if (view !== null) this.view = view;
    return true;
  }

  /** Called on every keystroke in the JSON pane. */
  readonly typed = (): void => {
    const start = performance.now();
    void this.analyze().then((shown) => {
      if (!shown) return;
      measureNow(ANALYSIS_MEASURE, start);
      void measureRepaint(KEYSTROKE_MEASURE, start);
    });
  };

  async edit(op: Op): Promise<void> {
    const start = performance.now();
    const result = await this.backend.edit(this.text.get(), op);
    if (result.status === "error") {
      this.editError = `${result.error.message}. ${result.error.hint}`;
      return;
    }
    this.editError = null;
    this.text.set(result.data);
    if (await this.analyze()) void measureRepaint(FORM_EDIT_MEASURE, start);
  }
}
