import { type Database, schema } from "@grove/db";
import type { InstanceDetail } from "@grove/protocol";
import { and, eq, inArray, notInArray, sql } from "drizzle-orm";

const { instances } = schema;

/**
 * Reconciles the instances placed on `cellId` with the complete list the cell reports: reported
 * ones take the reported state, handle, address and ports; placed-but-absent ones are marked
 * CRASHED ("gone"), so convergence replaces them. Rows of other cells are never touched.
 */
export async function reconcileCellInstances(
  db: Database,
  cellId: string,
  reported: readonly InstanceDetail[],
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const instance of reported) {
      const reason =
        instance.state === "CRASHED"
          ? (instance.reason ??
            `exited${instance.exitCode === undefined ? "" : ` (exit ${instance.exitCode})`}`)
          : null;
      await tx.execute(sql`
        update instances set state = ${instance.state}, container_handle = ${instance.containerHandle},
          address = ${instance.address ?? null}, container_ip = ${instance.containerIP ?? null},
          ports = ${JSON.stringify(instance.ports)}::jsonb,
          reason = ${reason},
          since = case when state::text = ${instance.state} then since else ${instance.since}::timestamptz end
        where id::text = ${instance.instanceId} and cell_id = ${cellId} and state <> 'STOPPED'`);
    }
    const ids = reported.map((i) => i.instanceId);
    await tx
      .update(instances)
      .set({
        state: "CRASHED",
        crashCount: sql`${instances.crashCount} + 1`,
        reason: "gone from its cell after the agent restarted",
        since: new Date(),
      })
      .where(
        and(
          eq(instances.cellId, cellId),
          inArray(instances.state, ["STARTING", "RUNNING"]),
          ids.length > 0 ? notInArray(sql`${instances.id}::text`, ids) : undefined,
        ),
      );
  });
}
