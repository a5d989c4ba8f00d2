import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { typeJson } from "./testing";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import BindingsEditor from "./BindingsEditor.svelte";

const POLICY = `{"bindings":[{"role":"roles/viewer","members":["user:ada@example.com"]}]}`;

function valid(members: string[]) {
  return {
    state: "valid",
    view: {
      bindings: [{ index: 0, role: "roles/viewer", members, condition: null, basic: true }],
      version: 1,
      hasAuditConfigs: false,
      principalCount: members.length,
    },
    pretty: POLICY,
    lints: [
      {
        level: "warning",
        code: "basic_role",
        message: "roles/viewer is a basic role",
        hint: "Prefer a predefined role.",
        binding: 0,
      },
    ],
  };
}

const pause = (ms = 200) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("BindingsEditor", () => {
  it("shows the table and lints, keeps them through a JSON typo, and forwards edits", async () => {
    const ops: unknown[] = [];
    let members = ["user:ada@example.com"];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "gcp_bindings_analyze") {
        return String(a.text).startsWith("{")
          ? valid(members)
          : { state: "invalid", message: "malformed JSON at line 1, column 1", line: 1, column: 1 };
      }
      if (cmd === "gcp_bindings_edit") {
        ops.push(a.op);
        const op = a.op as { op: string; member?: string };
        if (op.op === "addMember" && members.includes(op.member ?? "")) {
          throw {
            code: "invalid_input",
            message: "member: user:ada@example.com is already in roles/viewer",
            hint: "Nothing to add.",
            field: "member",
          };
        }
        members = [...members, op.member ?? ""];
        return `${POLICY} `;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(BindingsEditor, { text: POLICY });
    const row = await screen.findByTestId("binding-0");
    expect(row.textContent).toContain("user:ada@example.com");
    expect(row.textContent).toContain("basic role");
    expect(screen.getByTestId("lints").textContent).toContain("roles/viewer is a basic role");

    typeJson("nope");
    await pause();
    expect(screen.getByTestId("bindings-json-status").textContent).toContain(
      "The table keeps the last valid policy",
    );
    expect(screen.getByTestId("binding-0").textContent).toContain("user:ada@example.com");

    // A refused edit shows Rust's message and changes nothing.
    await fireEvent.input(screen.getByLabelText("New member of roles/viewer"), {
      target: { value: "user:ada@example.com" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));
    expect((await screen.findByText(/already in roles\/viewer/)).textContent).toContain(
      "Nothing to add.",
    );

    await fireEvent.input(screen.getByLabelText("New member of roles/viewer"), {
      target: { value: "user:bob@example.com" },
    });
    await fireEvent.click(screen.getByRole("button", { name: "Add" }));
    await pause();
    expect(screen.getByTestId("binding-0").textContent).toContain("user:bob@example.com");
    expect(ops).toEqual([
      { op: "addMember", binding: 0, member: "user:ada@example.com" },
      { op: "addMember", binding: 0, member: "user:bob@example.com" },
    ]);
  });
});
