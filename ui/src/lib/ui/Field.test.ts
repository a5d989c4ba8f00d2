import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import { tick } from "svelte";
import FieldHarness from "./FieldHarness.svelte";

afterEach(() => cleanup());

describe("Field", () => {
  it("marks its control invalid and points it at the error, then back at the help", async () => {
    const { rerender } = render(FieldHarness, { error: null, help: "Lowercase letters" });
    const input = screen.getByLabelText("Harness");
    expect(input.getAttribute("aria-invalid")).toBeNull();
    expect(input.getAttribute("aria-describedby")).toBe("harness-help");

    await rerender({ error: "The project ID is required", help: "Lowercase letters" });
    await tick();
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(input.getAttribute("aria-describedby")).toBe("harness-error");
    expect(document.getElementById("harness-error")?.textContent).toBe(
      "The project ID is required",
    );

    await rerender({ error: null, help: "Lowercase letters" });
    await tick();
    expect(input.getAttribute("aria-invalid")).toBeNull();
    expect(input.getAttribute("aria-describedby")).toBe("harness-help");
    expect(document.getElementById("harness-help")).not.toBeNull();
  });
});
