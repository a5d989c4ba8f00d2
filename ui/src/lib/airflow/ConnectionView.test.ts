import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import ConnectionView from "./ConnectionView.svelte";
import { awsConnection as connection } from "../testing/fixtures";

afterEach(() => cleanup());

describe("ConnectionView", () => {
  it("shows one format per tab, moves with the arrow keys and copies exactly the shown text", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    render(ConnectionView, { connection });

    expect(screen.getByTestId("format-text").textContent).toBe("Connection Id: aws_default");
    const first = screen.getByRole("tab", { name: "Airflow UI" });
    expect(first.getAttribute("aria-selected")).toBe("true");

    await fireEvent.keyDown(first, { key: "ArrowRight" });
    const second = screen.getByRole("tab", { name: "Env var · JSON" });
    expect(second.getAttribute("aria-selected")).toBe("true");
    expect(document.activeElement).toBe(second);
    expect(screen.getByTestId("format-text").textContent).toBe('{"conn_type":"aws"}');
    expect(screen.getByTestId("format-panel").textContent).toContain("AIRFLOW_CONN_AWS_DEFAULT");
    expect(screen.getByTestId("format-panel").textContent).toContain("environment variables");

    await fireEvent.click(screen.getByRole("button", { name: "Copy Env var (JSON)" }));
    expect(writeText).toHaveBeenCalledWith('{"conn_type":"aws"}');

    // Left from the first tab wraps to the last.
    await fireEvent.keyDown(second, { key: "ArrowLeft" });
    await fireEvent.keyDown(screen.getByRole("tab", { name: "Airflow UI" }), { key: "ArrowLeft" });
    expect(screen.getByRole("tab", { name: "Airflow CLI" }).getAttribute("aria-selected")).toBe(
      "true",
    );
  });
});
