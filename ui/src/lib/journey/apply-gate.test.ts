import { describe, expect, it } from "vitest";
import { canApplyAll } from "./apply-gate";

const plan = (
  over: Partial<{ changed: boolean; blocked: boolean; needsConfirmation: boolean }>,
) => ({
  changed: true,
  blocked: false,
  needsConfirmation: false,
  ...over,
});

describe("canApplyAll", () => {
  it("needs a change, no blocked plan, and warnings confirmed", () => {
    expect(canApplyAll([plan({})], false)).toBe(true);
    expect(canApplyAll([], true)).toBe(false);
    expect(canApplyAll([null, undefined], true)).toBe(false);
    expect(canApplyAll([plan({ changed: false })], true)).toBe(false);
    expect(canApplyAll([plan({}), plan({ changed: false })], false)).toBe(true);
    expect(canApplyAll([plan({}), plan({ blocked: true })], true)).toBe(false);
    expect(canApplyAll([plan({}), plan({ needsConfirmation: true })], false)).toBe(false);
    expect(canApplyAll([plan({}), plan({ needsConfirmation: true })], true)).toBe(true);
    // A plan that could not be made does not stop the others.
    expect(canApplyAll([plan({}), null], false)).toBe(true);
  });
});
