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

describe("BindingsEditor condition editor", () => {
  const STORAGE = `{"bindings":[{"role":"roles/storage.objectViewer","members":["user:ada@example.com"]}]}`;
  const view = (condition: unknown) => ({
    state: "valid",
    view: {
      bindings: [
        {
          index: 0,
          role: "roles/storage.objectViewer",
          members: ["user:ada@example.com"],
          condition,
          basic: false,
        },
      ],
      version: 3,
      hasAuditConfigs: false,
      principalCount: 1,
    },
    pretty: STORAGE,
    lints: [],
  });

  it("adds a condition through the form, shows Rust's refusal and keeps the form open", async () => {
    const ops: unknown[] = [];
    let condition: unknown = null;
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "gcp_bindings_analyze") return view(condition);
      if (cmd === "gcp_bindings_edit") {
        const op = a.op as { condition: { title: string } };
        ops.push(op);
        if (op.condition.title === "") {
          throw {
            code: "invalid_input",
            message: "condition: the title is empty",
            hint: "Name the condition.",
            field: "condition",
          };
        }
        condition = op.condition;
        return STORAGE;
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(BindingsEditor, { text: STORAGE });
    await fireEvent.click(
      await screen.findByRole("button", { name: "Add a condition to roles/storage.objectViewer" }),
    );
    const form = screen.getByRole("form", { name: "Condition of roles/storage.objectViewer" });
    expect(form).toBeTruthy();
    // An example fills the expression; an empty title is refused by Rust, the form stays.
    await fireEvent.click(screen.getByRole("button", { name: "Until a date" }));
    const expression = screen.getByLabelText("Expression (CEL)") as HTMLTextAreaElement;
    expect(expression.value).toBe('request.time < timestamp("2027-01-01T00:00:00Z")');
    await fireEvent.submit(form);
    expect((await screen.findByText(/the title is empty/)).textContent).toContain(
      "Name the condition.",
    );
    expect(
      screen.getByRole("form", { name: "Condition of roles/storage.objectViewer" }),
    ).toBeTruthy();

    await fireEvent.input(screen.getByLabelText("Title"), { target: { value: "until 2027" } });
    await fireEvent.input(screen.getByLabelText("Description (optional)"), {
      target: { value: "  " },
    });
    await fireEvent.submit(form);
    await pause();
    expect(ops[1]).toEqual({
      op: "setCondition",
      binding: 0,
      condition: {
        title: "until 2027",
        description: null,
        expression: 'request.time < timestamp("2027-01-01T00:00:00Z")',
      },
    });
    expect(screen.queryByRole("form")).toBeNull();
    expect(screen.getByTestId("binding-0").textContent).toContain("when until 2027");
  });
});
