import axe from "axe-core";

/** Impacts that fail a test; minor and moderate findings are left to review. */
const FAILING: ReadonlySet<string> = new Set(["serious", "critical"]);

/**
 * Rules jsdom cannot judge. It does no layout and paints nothing: colour contrast is checked on
 * the palette instead (src/contrast.test.ts) and in the window by axe itself; the visible-label
 * rule measures icon ligatures on a canvas, which jsdom lacks, so it only ever errors here.
 */
const OFF_IN_JSDOM = {
  "color-contrast": { enabled: false },
  "label-content-name-mismatch": { enabled: false },
};

/** Ids used more than once in `root` (axe's own duplicate-id rule is off by default). */
export function duplicateIds(root: Element): string[] {
  const seen = new Map<string, number>();
  for (const el of root.querySelectorAll("[id]")) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
}

/**
 * The serious and critical axe-core findings in `root`, one readable line each: violations,
 * and what axe could not decide ("needs review": e.g. aria-label on an element whose role
 * cannot be named), since a window run would have to look at those by hand. Duplicate ids
 * are reported too: a label or description may point at the wrong element.
 */
export async function axeViolations(root: Element = document.body): Promise<string[]> {
  const results = await axe.run(root, {
    rules: OFF_IN_JSDOM,
    resultTypes: ["violations", "incomplete"],
  });
  const found = [
    ...results.violations.map((v) => ({ ...v, kind: "violation" })),
    ...results.incomplete.map((v) => ({ ...v, kind: "needs review" })),
  ];
  return [
    ...found
      .filter((v) => FAILING.has(v.impact ?? ""))
      .map(
        (v) =>
          `${v.id} (${v.impact}, ${v.kind}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
      ),
    ...duplicateIds(root).map((id) => `duplicate-id: #${id} is used more than once`),
  ];
}
