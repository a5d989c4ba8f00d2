import { backend, type UndoOutcome, type UndoRequest } from "../ipc";
import type { Runner } from "../ui/runner.svelte";

/** One journaled change to undo, with its progress line. */
export type UndoStep = { journalId: string; what: string };

/**
 * Undoes `steps` in the order given (newest change first), each previewed and applied as the
 * History screen does, with the credentials in `request`. Stops at the first failure, whose
 * error is in `runner.error`; `null` then.
 */
export async function undoEntries(
  runner: Runner,
  steps: UndoStep[],
  request: Omit<UndoRequest, "journalId">,
): Promise<UndoOutcome[] | null> {
  const undone: UndoOutcome[] = [];
  for (const step of steps) {
    const plan = await runner.run(step.what, () =>
      backend.journalPlanUndo({ ...request, journalId: step.journalId }),
    );
    if (!plan) return null;
    const outcome = await runner.run(step.what, () => backend.journalApplyUndo(plan.planId));
    if (!outcome) return null;
    undone.push(outcome);
  }
  return undone;
}
