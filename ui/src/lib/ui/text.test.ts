import { describe, expect, it } from "vitest";
import { sentence } from "./text";

describe("sentence", () => {
  it("capitalizes and closes a hint, and leaves a finished sentence alone", () => {
    expect(sentence("name the accounts or roles")).toBe("Name the accounts or roles.");
    expect(sentence("Pick a role.")).toBe("Pick a role.");
    expect(sentence("  ")).toBe("");
    expect(sentence("see the docs (IAM)")).toBe("See the docs (IAM)");
  });
});
