import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import WhatRolesAllow from "./WhatRolesAllow.svelte";

beforeEach(() => clearMocks());
afterEach(() => cleanup());

describe("WhatRolesAllow", () => {
  it("searches the granted roles' permissions and says when a role is unknown offline", async () => {
    const asked: { roles: string[]; query: string }[] = [];
    mockIPC((cmd, args) => {
      if (cmd !== "gcp_role_permissions") throw new Error(`unexpected ${cmd}`);
      const { roles, query } = args as { roles: string[]; query: string };
      asked.push({ roles, query });
      return [
        {
          role: "roles/bigquery.dataViewer",
          known: true,
          total: 40,
          matched: query ? 1 : 40,
          matches: query ? ["bigquery.tables.getData"] : ["bigquery.datasets.get"],
        },
        { role: "projects/p/roles/custom", known: false, total: 0, matched: 0, matches: [] },
      ];
    });
    render(WhatRolesAllow, {
      roles: ["roles/bigquery.dataViewer", "projects/p/roles/custom"],
      condition: "reports bucket",
    });
    await screen.findByText("40 permissions");
    await fireEvent.input(screen.getByLabelText("Search permissions"), {
      target: { value: "tables getData" },
    });
    await screen.findByText("1 of its 40 permissions match");
    expect(screen.getByText("bigquery.tables.getData")).toBeTruthy();
    expect(screen.getByText(/Only when “reports bucket” holds/)).toBeTruthy();
    expect(screen.getByText(/Not in the offline snapshot/)).toBeTruthy();
    expect(asked.at(-1)).toEqual({
      roles: ["roles/bigquery.dataViewer", "projects/p/roles/custom"],
      query: "tables getData",
    });
  });
});
