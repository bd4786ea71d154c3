import { randomUUID } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { assignInstances, insertPlacedInstances } from "../src/repo/placement";
import { appDatabase } from "./app-database";

describeWith(["postgres"], "placements and the cells' rows", () => {
  // a placement of thousands of instances spans every cell: had it locked their rows (a foreign
  // key's KEY SHARE), each heartbeat stored meanwhile would share its row's lock with it
  it("writing and assigning instances locks no cell's row: a heartbeat's update of it never waits", async ({
    pg,
  }) => {
    const d = await appDatabase(pg, "cell_rows");
    const cell = await d.cell();
    const placed = randomUUID();
    const unplaced = randomUUID();
    const base = { tenantId: d.tenantId, appId: d.appId, revision: 1, crashCount: 0, reason: null };
    await d.db.transaction(async (tx) => {
      await insertPlacedInstances(tx, [
        { ...base, id: placed, index: 0, cellId: cell.id, handedOff: true },
        { ...base, id: unplaced, index: 1, cellId: null, reason: "waiting for placement" },
      ]);
      expect(await assignInstances(tx, [{ instanceId: unplaced, cellId: cell.id }])).toBe(1);
      // from another connection, while the placement's transaction is open: no lock to wait for
      const [locked] = await d.sql`select id from cells where id = ${cell.id} for update nowait`;
      expect(locked?.id).toBe(cell.id);
    });
    const rows = await d.sql`select id, cell_id, state from instances order by index`;
    expect(rows.map((r) => [r.id, r.cell_id, r.state])).toEqual([
      [placed, cell.id, "PLACED"],
      [unplaced, cell.id, "PLACED"],
    ]);
  });
});
