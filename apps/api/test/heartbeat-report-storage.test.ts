import { randomUUID } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { digestReport } from "../src/cells/report-digest";
import { recordHeartbeatIfChanged } from "../src/repo/cells";
import { appDatabase } from "./app-database";

// a cell's report is rewritten whenever it changes (a ramp rewrites each cell's every few seconds):
// it is compressed with lz4, not pglz, which was Postgres' top function in a ramp of 1,000 cells
describeWith(["postgres"], "a cell's stored report", () => {
  it("is kept whole, compressed with lz4", async ({ pg }) => {
    const d = await appDatabase(pg, "report_lz4");
    const cell = await d.cell();
    const capacity = { memoryMb: 1024, diskMb: 1024, containers: 200 };
    const report = {
      v: 2 as const,
      cellId: cell.id,
      seq: 1,
      at: new Date().toISOString(),
      capacity,
      available: capacity,
      instances: Array.from({ length: 100 }, (_, index) => ({
        instanceId: randomUUID(),
        appId: randomUUID(),
        revision: 1,
        index,
        state: "RUNNING" as const,
      })),
      volumes: [],
    };
    expect(await recordHeartbeatIfChanged(d.db, cell.id, digestReport(report), { refreshMs: 15_000 })).toBe(
      "written",
    );
    const [row] = await d.sql`
      select pg_column_compression(last_report) as method, last_report -> 'instances' as instances
      from cells where id = ${cell.id}`;
    expect(row?.method).toBe("lz4");
    expect(row?.instances).toEqual(report.instances);
  });
});
