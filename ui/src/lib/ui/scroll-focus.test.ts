import { describe, expect, it } from "vitest";
import { keyboardScrollable } from "./scroll-focus";

/** A pane of `html` that jsdom (which lays nothing out) reports as `content` px tall in `box`. */
function pane(html: string, content: number, box = 100): HTMLElement {
  const el = document.body.appendChild(document.createElement("pre"));
  el.innerHTML = html;
  Object.defineProperty(el, "scrollHeight", { configurable: true, get: () => content });
  Object.defineProperty(el, "clientHeight", { configurable: true, get: () => box });
  return el;
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("keyboardScrollable", () => {
  it("makes a scrolling pane of text a Tab stop, and drops it once a control is inside", async () => {
    const el = pane("{ a long policy }", 500);
    const stop = keyboardScrollable(el);
    expect(el.getAttribute("tabindex")).toBe("0");

    el.insertAdjacentHTML("beforeend", "<button>Copy</button>");
    await settle();
    expect(el.hasAttribute("tabindex")).toBe(false);
    if (typeof stop === "function") stop();
    el.remove();
  });

  it("leaves a pane that fits, or one with its own tabindex, as it is", () => {
    const fits = pane("short", 100);
    keyboardScrollable(fits);
    expect(fits.hasAttribute("tabindex")).toBe(false);

    const own = pane("long", 500);
    own.tabIndex = -1;
    keyboardScrollable(own);
    expect(own.getAttribute("tabindex")).toBe("-1");
    fits.remove();
    own.remove();
  });
});
