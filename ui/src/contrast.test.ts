import { describe, expect, it } from "vitest";
import css from "./app.css?raw";

// WCAG 2 contrast of the palette in app.css, both themes, for every foreground/background pair
// the components use (found by reading their styles: `color` and `background` of one rule, or
// a colour on the surface it sits on). jsdom paints nothing, so axe cannot measure this in
// a11y.test.ts; this computes it from the variables themselves.

type Palette = Record<string, string>;

/** The custom properties set by the first rule whose selector is exactly `selector`. */
function palette(selector: string): Palette {
  const start = css.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`app.css has no ${selector} rule`);
  const body = css.slice(start, css.indexOf("}", start));
  const vars: Palette = {};
  for (const [, name, value] of body.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\s*;/gi)) {
    vars[name!] = value!.toLowerCase();
  }
  return vars;
}

const LIGHT = palette(":root");
const DARK = { ...LIGHT, ...palette(':root[data-theme="dark"]') };

/** Relative luminance of an sRGB colour, per WCAG 2. */
function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const TEXT = 4.5; // normal text (WCAG 1.4.3 AA)
const UI = 3; // control edges, focus ring, meter fills (WCAG 1.4.11)

/** [foreground, backgrounds it is drawn on, minimum, where]. */
const PAIRS: [string, string[], number, string][] = [
  [
    "text",
    ["bg", "surface", "surface-2", "accent-soft", "ok-soft", "warn-soft", "danger-soft"],
    TEXT,
    "body text, fields, diff lines, lint hints, error hints, notices",
  ],
  [
    "text-2",
    ["bg", "surface", "surface-2", "ok-soft", "warn-soft", "danger-soft"],
    TEXT,
    "secondary text: ledes, help, meta, badges, step numbers, diff gutter",
  ],
  ["placeholder", ["surface", "surface-2"], TEXT, "placeholder text in fields"],
  [
    "accent",
    ["bg", "surface", "surface-2", "accent-soft"],
    TEXT,
    "links and link buttons, the current step, GCP and SSO badges",
  ],
  ["accent-text", ["accent"], TEXT, "primary buttons"],
  [
    "ok",
    ["bg", "surface", "surface-2", "ok-soft", "warn-soft"],
    TEXT,
    "done and verified lines, read access, interrupted changes settled",
  ],
  [
    "warn",
    ["bg", "surface", "surface-2", "warn-soft"],
    TEXT,
    "warnings, the AWS badge, basic roles, write access",
  ],
  [
    "danger",
    ["bg", "surface", "surface-2", "danger-soft", "warn-soft"],
    TEXT,
    "errors, failed status, remove and forget buttons",
  ],
  [
    "focus",
    ["bg", "surface", "surface-2", "accent-soft", "warn-soft", "danger-soft"],
    UI,
    "the focus ring",
  ],
  ["border-control", ["bg", "surface", "surface-2"], UI, "edges of text fields and selects"],
  ["ok", ["surface-2"], UI, "size meter fill"],
  ["warn", ["surface-2"], UI, "size meter fill, near the quota"],
  ["danger", ["surface-2"], UI, "size meter fill, over the quota"],
];

describe("palette contrast (WCAG 2 AA)", () => {
  it("reads both palettes from app.css, each with every colour", () => {
    expect(Object.keys(LIGHT).length).toBeGreaterThan(15);
    expect(Object.keys(palette(':root[data-theme="dark"]')).sort()).toEqual(
      Object.keys(LIGHT).sort(),
    );
  });

  it("computes WCAG's figures", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#767676", "#ffffff")).toBeCloseTo(4.54, 2);
    expect(contrast("#ffffff", "#ffffff")).toBe(1);
  });

  for (const [theme, colours] of [
    ["light", LIGHT],
    ["dark", DARK],
  ] as const) {
    it(`meets AA for every pair in use, ${theme}`, () => {
      const failing: string[] = [];
      for (const [fg, backgrounds, minimum, where] of PAIRS) {
        for (const bg of backgrounds) {
          const [a, b] = [colours[fg], colours[bg]];
          if (!a || !b) throw new Error(`--${fg} or --${bg} is not in the ${theme} palette`);
          const ratio = contrast(a, b);
          if (ratio < minimum)
            failing.push(`--${fg} on --${bg}: ${ratio.toFixed(2)} < ${minimum} (${where})`);
        }
      }
      expect(failing).toEqual([]);
    });
  }
});
