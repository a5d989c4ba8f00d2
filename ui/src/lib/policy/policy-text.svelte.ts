import type { Outcome } from "../ipc";
import { debounced } from "../ui/debounce";

/**
 * A policy edited as text and as a form at once. Rust analyzes the text (view, lints, or
 * where it breaks) and applies each form edit; this keeps the last valid view so a typo in
 * the JSON never takes the form away, and debounces analysis while typing.
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

  async analyze(): Promise<void> {
    this.analysis = await this.backend.analyze(this.text.get());
    const view = this.backend.viewOf(this.analysis);
    if (view !== null) this.view = view;
  }

  /** Called on every keystroke in the JSON pane. */
  readonly typed = debounced(() => this.analyze(), 120);

  async edit(op: Op): Promise<void> {
    const result = await this.backend.edit(this.text.get(), op);
    if (result.status === "error") {
      this.editError = `${result.error.message}. ${result.error.hint}`;
      return;
    }
    this.editError = null;
    this.text.set(result.data);
    await this.analyze();
  }
}
