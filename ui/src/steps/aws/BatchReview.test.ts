import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import BatchReview from "./BatchReview.svelte";
import { AwsJourney } from "./journey.svelte";
import type { BatchRolePlan, PlannedChange } from "../../lib/ipc";

type TrustChange = PlannedChange["change"];

afterEach(() => cleanup());

const ARN = "arn:aws:iam::123456789876:role/astro-a-1234";

function change(role: string, changed: boolean): TrustChange {
  return {
    caller: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada" },
    roleName: role,
    roleArn: `arn:aws:iam::123456789012:role/${role}`,
    create: null,
    remoteBefore: "{}",
    quota: 2048,
    plan: {
      beforeJson: "{}",
      afterJson: "{}",
      compactAfter: "{}",
      diff: [{ kind: "added", text: `"${ARN}"` }],
      lints: [],
      size: { used: 200, quota: 2048, remaining: 1848, perDeployment: 57, moreDeploymentsFit: 32 },
      changed,
      blocked: false,
      needsConfirmation: false,
      added: changed ? [ARN] : [],
      alreadyTrusted: changed ? [] : [ARN],
      removed: [],
    },
  };
}

function journeyWith(roles: BatchRolePlan[]): AwsJourney {
  const journey = new AwsJourney();
  journey.batchPlan = {
    planId: "plan-3",
    plan: { caller: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/ada" }, roles },
  };
  return journey;
}

function statuses(): string[] {
  const list = screen.getByRole("list", { name: "Roles in this batch" });
  return [...list.querySelectorAll("summary")].map(
    (s) => s.textContent?.replace(/\s+/g, " ").trim() ?? "",
  );
}

describe("BatchReview", () => {
  it("shows each role's plan, then each role's result as it arrives", () => {
    const journey = journeyWith([
      { roleName: "astro-sales", change: change("astro-sales", true), failure: null },
      { roleName: "astro-ml", change: change("astro-ml", false), failure: null },
      {
        roleName: "astro-gone",
        change: null,
        failure: {
          code: "not_found",
          message: "role astro-gone does not exist",
          hint: "Pick another role.",
        },
      },
    ]);
    render(BatchReview, { journey });
    expect(statuses()).toEqual([
      "astro-sales Planned",
      "astro-ml Nothing to change",
      "astro-gone Cannot be planned: role astro-gone does not exist",
    ]);
    expect(screen.getByText("Pick another role.")).toBeTruthy();
    cleanup();
    journey.batchProgress = {
      "astro-sales": { role: "astro-sales", state: "failed", message: "throttled" },
    };
    render(BatchReview, { journey });
    expect(statuses()[0]).toBe("astro-sales Failed: throttled");
  });

  it("asks to confirm warnings before the one Apply", () => {
    const warned = change("astro-sales", true);
    warned.plan.needsConfirmation = true;
    const journey = journeyWith([
      { roleName: "astro-sales", change: warned, failure: null },
      { roleName: "astro-ml", change: change("astro-ml", true), failure: null },
    ]);
    render(BatchReview, { journey });
    expect(screen.getByRole("checkbox", { name: /I have read the warnings/ })).toBeTruthy();
  });
});
