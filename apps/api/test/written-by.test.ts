import { randomUUID } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { applyInstanceEvents } from "../src/repo/instances";
import { insertPlacedInstances } from "../src/repo/placement";
import { appDatabase } from "./app-database";

// the leader's view and the route emitter read the rows written since their last read by `written_by`:
// every write of an instance must stamp it with its transaction, whether the writer sets it or not
describeWith(["postgres"], "instances' written_by", () => {
  it("is the writing transaction's id after an insert, an update that sets it and one that does not", async ({
    pg,
  }) => {
    const d = await appDatabase(pg, "written_by");
    const cell = await d.cell();
    const id = randomUUID();
    const stamp = async () => {
      const [row] = await d.sql`select written_by::text as w from instances where id = ${id}`;
      return BigInt(row?.w as string);
    };
    const base = { tenantId: d.tenantId, appId: d.appId, revision: 1, crashCount: 0, reason: null };
    await insertPlacedInstances(d.db, [{ ...base, id, index: 0, cellId: cell.id, handedOff: true }]);
    const inserted = await stamp();
    // an instance event's update sets it itself (the trigger skips the row)
    const [outcome] = await applyInstanceEvents(d.db, [
      {
        cellId: cell.id,
        event: {
          v: 2,
          eventId: randomUUID(),
          cellId: cell.id,
          at: new Date().toISOString(),
          instanceId: id,
          appId: d.appId,
          revision: 1,
          index: 0,
          state: "RUNNING",
          address: "10.9.0.2",
          ports: [{ containerPort: 8080, hostPort: 61000 }],
        },
      },
    ]);
    expect(outcome).toEqual({ applied: true });
    const running = await stamp();
    expect(running).toBeGreaterThan(inserted);
    // a write that leaves it alone is stamped by the trigger; so is one that sets an old value
    const [{ xid }] = (await d.sql.begin(async (tx) => {
      await tx`update instances set reason = 'checked' where id = ${id}`;
      return tx`select pg_current_xact_id()::text as xid`;
    })) as unknown as [{ xid: string }];
    expect(await stamp()).toBe(BigInt(xid));
    await d.sql`update instances set written_by = ${String(inserted)}::xid8 where id = ${id}`;
    expect(await stamp()).toBeGreaterThan(BigInt(xid));
  });
});
