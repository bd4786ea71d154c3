import { type Database, schema } from "@grove/db";
import { inArray, ne, sql } from "drizzle-orm";
import type { ActualInstance, ConvergencePlan, DesiredApp } from "../convergence/plan";
import { textAsUuid } from "./uuid";

/*
 * Cluster-wide queries of the leader's convergence loop; like placement, they span all tenants on
 * purpose and are not reachable from an HTTP handler.
 */

const { apps, instances, cells } = schema;

/** Every app's desired state. */
export async function desiredApps(db: Database): Promise<DesiredApp[]> {
  const rows = await db
    .select({
      id: apps.id,
      tenantId: apps.tenantId,
      state: apps.state,
      instances: apps.instances,
      revision: apps.revision,
      restartedAt: apps.restartedAt,
      // a docker app has its image instead of bits
      bitsDigest: sql<string | null>`coalesce(${apps.bitsDigest}, ${apps.image}->>'digest')`,
      singleWriter: sql<boolean>`exists (select 1 from jsonb_array_elements(${apps.volumes}) m
        join volumes v on v.id = (m->>'volumeId')::uuid where not v.shared)`,
      volumeCellId: sql<string | null>`(select v.cell_id from jsonb_array_elements(${apps.volumes}) m
        join volumes v on v.id = (m->>'volumeId')::uuid where v.cell_id is not null limit 1)`,
    })
    .from(apps);
  return rows.map(({ bitsDigest, ...row }) => ({ ...row, hasBits: bitsDigest !== null }));
}

/** Every instance that is not STOPPED, with its cell's state. */
export async function actualInstances(db: Database): Promise<ActualInstance[]> {
  const rows = await db
    .select({
      id: instances.id,
      appId: instances.appId,
      index: instances.index,
      revision: instances.revision,
      state: instances.state,
      cellId: instances.cellId,
      cellState: cells.state,
      crashCount: instances.crashCount,
      createdAt: instances.createdAt,
      since: instances.since,
    })
    .from(instances)
    .leftJoin(cells, sql`${cells.id} = ${instances.cellId}`)
    .where(ne(instances.state, "STOPPED"));
  return rows as ActualInstance[];
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
 * Instances a reachable cell reported in its last heartbeat that the control plane does not want
 * there (stopped, replaced while the cell was lost, or unknown): they must be stopped.
 */
export async function strayInstances(db: Database): Promise<{ cellId: string; instanceId: string }[]> {
  const rows = await db.execute<{ cell_id: string; instance_id: string }>(sql`
    select c.id as cell_id, r->>'instanceId' as instance_id
    from cells c cross join lateral jsonb_array_elements(coalesce(c.last_report->'instances', '[]'::jsonb)) r
    where c.state <> 'lost' and r->>'state' <> 'STOPPED'
      and not exists (select 1 from instances x
        where x.id = ${textAsUuid(sql`r->>'instanceId'`)} and x.cell_id = c.id and x.state <> 'STOPPED')`);
  return [...rows].map((r) => ({ cellId: r.cell_id, instanceId: r.instance_id }));
}
