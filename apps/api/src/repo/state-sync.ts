import type { Database } from "@grove/db";
import type { InstanceDetail } from "@grove/protocol";
import { sql } from "drizzle-orm";
import { isUuid, uuidArray } from "../ids";

/** One reported instance as the reconciling statement reads it. */
interface ReportedRow {
  id: string;
  state: string;
  handle: string;
  address: string | null;
  containerIp: string | null;
  ports: unknown;
  reason: string | null;
  since: string;
}

function reportedRow(instance: InstanceDetail): ReportedRow {
  return {
    id: instance.instanceId,
    state: instance.state,
    handle: instance.containerHandle,
    address: instance.address ?? null,
    containerIp: instance.containerIP ?? null,
    ports: instance.ports,
    reason:
      instance.state === "CRASHED"
        ? (instance.reason ??
          `exited${instance.exitCode === undefined ? "" : ` (exit ${instance.exitCode})`}`)
        : null,
    since: instance.since,
  };
}

/**
 * Reconciles the instances placed on `cellId` with the complete list the cell reports: reported
 * ones take the reported state, handle, address and ports; placed-but-absent ones are marked
 * CRASHED ("gone"), so convergence replaces them. Rows of other cells are never touched. Two
 * statements whatever the number of instances, both matching on the uuid primary key (an id that
 * is no uuid names no instance).
 */
export async function reconcileCellInstances(
  db: Database,
  cellId: string,
  reported: readonly InstanceDetail[],
): Promise<void> {
  const rows = reported.filter((i) => isUuid(i.instanceId)).map(reportedRow);
  const ids = uuidArray(rows.map((r) => r.id));
  await db.transaction(async (tx) => {
    if (rows.length > 0)
      await tx.execute(sql`
        update instances x set state = p.state::instance_state, container_handle = p.handle,
          address = p.address, container_ip = p."containerIp", ports = coalesce(p.ports, '[]'::jsonb),
          reason = p.reason,
          since = case when x.state::text = p.state then x.since else least(p.since, now()) end
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as p(id uuid, state text, handle text,
          address text, "containerIp" text, ports jsonb, reason text, since timestamptz)
        where x.id = p.id and x.cell_id = ${cellId} and x.state <> 'STOPPED'`);
    await tx.execute(sql`
      update instances set state = 'CRASHED', crash_count = crash_count + 1,
        reason = 'gone from its cell after the agent restarted', since = now()
      where cell_id = ${cellId} and state in ('STARTING', 'RUNNING')
        and not (id = any (${ids}::uuid[]))`);
  });
}
