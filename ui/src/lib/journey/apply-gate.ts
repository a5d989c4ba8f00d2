/** What the Apply button reads of a plan. */
export interface Gated {
  changed: boolean;
  blocked: boolean;
  needsConfirmation: boolean;
}

/** Whether the plans under review can be applied: at least one changes something, none is
 * blocked by an error, and any warning has been confirmed. A plan not there (one that could
 * not be made) counts for nothing. */
export function canApplyAll(
  plans: readonly (Gated | null | undefined)[],
  confirmed: boolean,
): boolean {
  const shown = plans.filter((p): p is Gated => !!p);
  return (
    shown.some((p) => p.changed) &&
    !shown.some((p) => p.blocked) &&
    (confirmed || !shown.some((p) => p.needsConfirmation))
  );
}
