import { type Database, schema } from "@grove/db";
import { inArray, sql } from "drizzle-orm";
import type { ActualInstance, ConvergencePlan, DesiredApp } from "../convergence/plan";
import { isUuid } from "../ids";
import type { Tx } from "./tx";

/*
 * Cluster-wide queries of the leader's convergence loop; like placement, they span all tenants on
 * purpose and are not reachable from an HTTP handler.
 */

const { apps, instances } = schema;

/** An instance as the leader's view keeps it: without its cell's state, which is read apart. */
export type InstanceRecord = Omit<ActualInstance, "cellState">;

/** A written instance row: STOPPED ones leave the view. */
export type WrittenInstance = Omit<InstanceRecord, "state"> & { state: InstanceRecord["state"] | "STOPPED" };

/**
 * The oldest transaction still running as of this transaction's snapshot: every row written by an
 * older one is visible now, so a later read of `written_by >= ` it misses no write.
 */
export async function snapshotXmin(tx: Tx): Promise<string> {
  const [row] = await tx.execute<{ xmin: string }>(
    sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
  );
  return (row as { xmin: string }).xmin;
}

/**
 * Every app's desired state, or (with `since`) only the apps written by a transaction from `since`
 * on and those mounting volumes (whose volumes' rows can change without the app's).
 */
export async function desiredApps(db: Database | Tx, since?: string): Promise<DesiredApp[]> {
  const rows = await db
    .select({
      id: apps.id,
      tenantId: apps.tenantId,
      state: apps.state,
      instances: apps.instances,
      revision: apps.revision,
      restartedAt: apps.restartedAt,
      memoryMb: apps.memoryMb,
      diskMb: apps.diskMb,
      // a docker app has its image instead of bits
      bitsDigest: sql<string | null>`coalesce(${apps.bitsDigest}, ${apps.image}->>'digest')`,
      singleWriter: sql<boolean>`exists (select 1 from jsonb_array_elements(${apps.volumes}) m
        join volumes v on v.id = (m->>'volumeId')::uuid where not v.shared)`,
      volumeCellId: sql<string | null>`(select v.cell_id from jsonb_array_elements(${apps.volumes}) m
        join volumes v on v.id = (m->>'volumeId')::uuid where v.cell_id is not null limit 1)`,
    })
    .from(apps)
    .where(
      since === undefined
        ? undefined
        : sql`${apps.writtenBy} >= ${since}::xid8 or ${apps.volumes} <> '[]'::jsonb`,
    );
  return rows.map(({ bitsDigest, ...row }) => ({ ...row, hasBits: bitsDigest !== null }));
}

/** How many apps there are (a deleted app leaves no row to read). */
export async function appCount(tx: Tx): Promise<number> {
  const [row] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from apps`);
  return (row as { n: number }).n;
}

/**
 * Every instance that is not STOPPED, or (with `since`) every instance written by a transaction from
 * `since` on, STOPPED ones included.
 */
export async function writtenInstances(db: Database | Tx, since?: string): Promise<WrittenInstance[]> {
  const rows = await db.execute<
    Omit<WrittenInstance, "createdAt" | "since"> & { createdAt: string; since: string }
  >(sql`
    select id, app_id as "appId", index, revision, state, cell_id as "cellId", crash_count as "crashCount",
      created_at as "createdAt", since
    from instances
    where ${since === undefined ? sql`state <> 'STOPPED'` : sql`written_by >= ${since}::xid8`}`);
  // timestamps come as Postgres writes them (the driver is set to leave them to drizzle)
  return [...rows].map((r) => ({ ...r, createdAt: new Date(r.createdAt), since: new Date(r.since) }));
}

/** Every cell's state, by id. */
export async function cellStates(db: Database | Tx): Promise<Map<string, ActualInstance["cellState"]>> {
  const rows = await db.execute<{ id: string; state: ActualInstance["cellState"] }>(
    sql`select id, state from cells`,
  );
  return new Map([...rows].map((r) => [r.id, r.state]));
}

/**
 * Writes a plan: new UNPLACED rows, stopped instances marked STOPPED at once (the stop commands
 * that follow are best effort; strays are caught from heartbeats), and crash counts reset.
 */
export async function applyPlan(db: Database, plan: ConvergencePlan): Promise<void> {
  await db.transaction(async (tx) => {
    if (plan.create.length > 0) {
      // one parameter however many rows (a statement of thousands of bound values is slow to build)
      await tx.execute(sql`
        insert into ${instances} (tenant_id, app_id, index, revision, crash_count, reason)
        select p."tenantId", p."appId", p.index, p.revision, p."crashCount", 'waiting for placement'
        from jsonb_to_recordset(${JSON.stringify(plan.create)}::jsonb)
          as p("tenantId" uuid, "appId" uuid, index int, revision int, "crashCount" int)`);
    }
    if (plan.stop.length > 0) {
      const stops = plan.stop.map(({ instanceId, reason }) => ({ instanceId, reason }));
      await tx.execute(sql`
        update instances x set state = 'STOPPED', reason = p.reason, since = now()
        from jsonb_to_recordset(${JSON.stringify(stops)}::jsonb) as p("instanceId" uuid, reason text)
        where x.id = p."instanceId" and x.state <> 'STOPPED'`);
    }
    if (plan.resetCrashCount.length > 0) {
      await tx.update(instances).set({ crashCount: 0 }).where(inArray(instances.id, plan.resetCrashCount));
    }
  });
}

/**
 * Of the instances cells reported that the caller's view does not explain (`unexplained`:
 * `StrayCandidates`), those the control plane does not want on the cell reporting them (stopped,
 * replaced while the cell was lost, or unknown): they must be stopped. They are checked against the
 * table by primary key (planner-proof, unlike an anti-join over every report): the view may be older
 * than a report (an instance placed since).
 */
export async function strayInstances(
  db: Database,
  unexplained: readonly { cellId: string; instanceId: string }[],
): Promise<{ cellId: string; instanceId: string }[]> {
  const ids = [...new Set(unexplained.map((r) => r.instanceId).filter(isUuid))];
  const placed = new Map<string, string | null>();
  if (ids.length > 0) {
    const rows = await db.execute<{ id: string; cell_id: string | null }>(sql`
      select id, cell_id from instances
      where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
        and state <> 'STOPPED'`);
    for (const row of rows) placed.set(row.id, row.cell_id);
  }
  return unexplained.filter((r) => placed.get(r.instanceId) !== r.cellId);
}
