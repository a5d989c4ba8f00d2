import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import PermissionPolicyEditor from "./PermissionPolicyEditor.svelte";
import { jsonText, typeJson } from "./testing";

const POLICY = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["*"]}]}`;

function valid(actions: string[], resources: string[]) {
  const wildcardWrite = resources.includes("*") && actions.some((a) => a.startsWith("s3:Put"));
  return {
    state: "valid",
    view: {
      statements: [
        {
          index: 0,
          sid: null,
          effect: "Allow",
          actions,
          notActions: false,
          resources,
          notResources: false,
          conditions: [],
          otherFields: [],
        },
      ],
      hasUnknownTopLevelFields: false,
    },
    pretty: POLICY,
    lints: wildcardWrite
      ? [
          {
            level: "warning",
            code: "wildcard_resource_with_write",
            message: "statement 1 allows writes on every resource",
            hint: "Name the buckets.",
            statement: 0,
          },
        ]
      : [],
    size: 100,
    quota: 10240,
  };
}

const pause = (ms = 200) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("PermissionPolicyEditor", () => {
  it("suggests actions from the catalog, adds them through Rust, and shows the lint", async () => {
    const ops: unknown[] = [];
    let actions = ["s3:GetObject"];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "aws_action_services")
        return [{ prefix: "s3", name: "Amazon S3", actionCount: 3 }];
      if (cmd === "aws_arn_templates")
        return a.prefix === "s3"
          ? [{ label: "S3 object", template: "arn:${Partition}:s3:::${BucketName}/${ObjectKey}" }]
          : [];
      if (cmd === "aws_search_actions") {
        expect(a).toEqual({ prefix: "s3", query: "put" });
        return [{ action: "s3:PutObject", access: "write" }];
      }
      if (cmd === "aws_permission_policy_analyze") {
        return String(a.text).startsWith("{")
          ? valid(actions, ["*"])
          : { state: "invalid", message: "malformed JSON at line 1, column 1", line: 1, column: 1 };
      }
      if (cmd === "aws_permission_policy_edit") {
        ops.push(a.op);
        const op = a.op as { op: string; resource?: string; action?: string };
        if (op.op === "addResource") {
          throw {
            code: "invalid_input",
            message: "resource: ${BucketName} is a template placeholder",
            hint: "Replace it with the bucket's name.",
            field: "resource",
          };
        }
        actions = [...actions, op.action ?? ""];
        return POLICY.replace('"s3:GetObject"', '"s3:GetObject","s3:PutObject"');
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(PermissionPolicyEditor, { text: POLICY });
    expect((await screen.findByTestId("permission-statement-0")).textContent).toContain(
      "s3:GetObject",
    );

    // Service + search → a suggestion with its access level; choosing it is an edit in Rust.
    await fireEvent.input(screen.getByLabelText("Service of statement 1"), {
      target: { value: "s3" },
    });
    await fireEvent.input(screen.getByLabelText("New action for statement 1"), {
      target: { value: "put" },
    });
    await pause();
    const suggestion = await screen.findByRole("button", { name: /s3:PutObject/ });
    expect(suggestion.textContent).toContain("write");
    await fireEvent.click(suggestion);
    await pause();
    expect(ops).toEqual([{ op: "addAction", statement: 0, action: "s3:PutObject" }]);
    expect(screen.getByTestId("permission-statement-0").textContent).toContain(
      "allows writes on every resource",
    );
    expect(jsonText()).toContain('"s3:PutObject"');

    // The ARN template fills the input; Rust refuses the unfilled placeholder, nothing changes.
    const template = (await screen.findByLabelText(
      "ARN template for statement 1",
    )) as HTMLSelectElement;
    await fireEvent.change(template, {
      target: { value: "arn:${Partition}:s3:::${BucketName}/${ObjectKey}" },
    });
    const resource = screen.getByLabelText("New resource for statement 1") as HTMLInputElement;
    expect(resource.value).toBe("arn:${Partition}:s3:::${BucketName}/${ObjectKey}");
    await fireEvent.click(screen.getAllByRole("button", { name: "Add" })[1] as HTMLElement);
    expect((await screen.findByText(/template placeholder/)).textContent).toContain(
      "Replace it with the bucket's name.",
    );
    expect(resource.value).toBe("arn:${Partition}:s3:::${BucketName}/${ObjectKey}");

    // Broken JSON: the error, and the form keeps the last valid policy.
    typeJson("oops");
    await pause();
    expect(screen.getByTestId("permission-json-status").textContent).toContain(
      "The form keeps the last valid policy",
    );
    expect(screen.getByTestId("permission-statement-0").textContent).toContain("s3:PutObject");
  });
});
