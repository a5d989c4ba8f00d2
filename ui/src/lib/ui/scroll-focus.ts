import type { Attachment } from "svelte/attachments";

// What the keyboard can reach inside a pane (its Tab order), so the pane need not be a stop.
const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  'input:not([disabled]):not([type="hidden"])',
  "select:not([disabled])",
  "textarea:not([disabled])",
  "summary",
  '[tabindex]:not([tabindex="-1"])',
  '[contenteditable="true"]',
].join(", ");

/** Whether `pane` scrolls and holds nothing the keyboard can focus. */
export function needsTabStop(pane: HTMLElement): boolean {
  const scrolls = pane.scrollHeight > pane.clientHeight || pane.scrollWidth > pane.clientWidth;
  return scrolls && pane.querySelector(FOCUSABLE) === null;
}

/**
 * A scrolling pane of plain text (a policy preview, a list of permissions) becomes a Tab stop
 * while it scrolls and holds nothing focusable: WebKit does not focus scroll containers on its
 * own, so the arrow keys could never reach what is below its fold (axe's
 * scrollable-region-focusable). A pane that fits, or has a button inside, stays out of the Tab
 * order. Rechecked when the pane resizes or its content changes.
 */
export const keyboardScrollable: Attachment<HTMLElement> = (pane) => {
  // A pane that names its own tabindex keeps it.
  if (pane.hasAttribute("tabindex")) return;
  const update = () => {
    if (needsTabStop(pane)) pane.tabIndex = 0;
    else pane.removeAttribute("tabindex");
  };
  update();
  const resized = typeof ResizeObserver === "function" ? new ResizeObserver(update) : null;
  resized?.observe(pane);
  const changed = new MutationObserver(update);
  changed.observe(pane, { childList: true, subtree: true, characterData: true });
  return () => {
    resized?.disconnect();
    changed.disconnect();
  };
};
