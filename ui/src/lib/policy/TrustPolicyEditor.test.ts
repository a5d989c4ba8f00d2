import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { jsonText, typeJson } from "./testing";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import TrustPolicyEditor from "./TrustPolicyEditor.svelte";

const ARN = "arn:aws:iam::123456789876:role/astro-a-1234";
const POLICY = `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["${ARN}"]},"Action":"sts:AssumeRole"}]}`;

function valid(values: string[]) {
  return {
    state: "valid",
    view: {
      statements: [
        {
          index: 0,
          sid: null,
          effect: "Allow",
          notPrincipal: false,
          principals: [{ kind: "AWS", values }],
          actions: ["sts:AssumeRole"],
          notActions: false,
          conditions: [],
          otherFields: [],
        },
      ],
      hasUnknownTopLevelFields: false,
    },
    pretty: POLICY,
    lints: values.includes("*")
      ? [
          {
            level: "warning",
            code: "wildcard_principal_without_condition",
            message: "Statement 1 trusts everyone",
            hint: "Add a condition.",
            statement: 0,
          },
        ]
      : [],
    size: { used: 120, quota: 2048, remaining: 1928, perDeployment: 57, moreDeploymentsFit: 33 },
  };
}

const pause = (ms = 200) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("TrustPolicyEditor", () => {
  it("shows the cards, keeps them through a JSON typo, and forwards edits to Rust", async () => {
    const ops: unknown[] = [];
    let principals = [ARN];
    mockIPC((cmd, args) => {
      const a = args as Record<string, unknown>;
      if (cmd === "aws_condition_presets") return [];
      if (cmd === "aws_trust_policy_analyze") {
        return String(a.text).startsWith("{")
          ? valid(principals)
          : { state: "invalid", message: "expected value", line: 1, column: 1 };
      }
      if (cmd === "aws_trust_policy_edit") {
        ops.push(a.op);
        principals = [...principals, "*"];
        return POLICY.replace("]", ', "*"]');
      }
      throw new Error(`unexpected ${cmd}`);
    });
    render(TrustPolicyEditor, { text: POLICY });
    expect((await screen.findByTestId("statement-0")).textContent).toContain(ARN);

    // Break the JSON: the error says where, the form stays.
    typeJson("nope");
    await pause();
    expect(screen.getByTestId("json-status").textContent).toContain(
      "expected value. The form keeps the last valid policy.",
    );
    expect(screen.getByTestId("statement-0").textContent).toContain(ARN);
    expect(screen.getByLabelText("JSON").getAttribute("aria-invalid")).toBe("true");

    // Fix it, then add "*" through the form: Rust applies the edit, the lint appears.
    typeJson(POLICY);
    await pause();
    await fireEvent.input(screen.getByLabelText("New principal for statement 1"), {
      target: { value: "*" },
    });
    await fireEvent.click(screen.getAllByRole("button", { name: "Add" })[0] as HTMLElement);
    await pause();
    expect(ops).toEqual([{ op: "addPrincipal", statement: 0, kind: "AWS", value: "*" }]);
    expect(screen.getByTestId("statement-0").textContent).toContain("Statement 1 trusts everyone");
    // The JSON side follows the form.
    expect(jsonText()).toContain('"*"]');
    expect(screen.getByLabelText("JSON").getAttribute("aria-invalid")).toBe("false");
  });
});
