import { type Database, schema } from "@grove/db";
import type { ImagePullProgress, InstanceEvent, InstanceUsage } from "@grove/protocol";
import { and, asc, eq, gt, inArray, ne, or, sql } from "drizzle-orm";

const { instances, appliedEvents, apps, appEvents, appRevisions, cells } = schema;
export type InstanceRow = typeof instances.$inferSelect;

/** Why an instance event was not applied. */
export type EventRejection = "unknown-instance" | "not-on-this-cell" | "duplicate" | "instance-stopped";

/** One instance event and the cell that reported it. */
export interface ReportedEvent {
  cellId: string;
  event: InstanceEvent;
  /** the id it is applied at most once by: its own `eventId` (absent), or its batch's `batchId` */
  onceBy?: string;
  /**
   * the message it came in (absent: a message of its own); the events of one batch share it, and
   * another message with the same `onceBy` in the same call is a duplicate
   */
  message?: number;
}

/** What an instance's events in one batch change on its row, merged in their order. */
interface RowChange {
  id: string;
  state: InstanceEvent["state"];
  since: string;
  /** a RUNNING event sets address, container address and ports */
  net: boolean;
  address: string | null;
  container_ip: string | null;
  ports: { containerPort: number; hostPort: number }[];
  /** RUNNING clears the reason, CRASHED sets it */
  set_reason: boolean;
  reason: string | null;
  crashes: number;
}

/**
 * Applies instance events in one transaction of a few set-based statements, each event at most once
 * by its id (the events of a batch: the batch at most once by its id) and in the order given: an event's instance must exist and be placed on the cell that
 * reported it (a cell reports only its own instances), and a stopped instance stays stopped (late
 * reports of a container being stopped change nothing). A CRASHED event counts a crash and goes to
 * the app's audit log. Returns each event's outcome, in the order given.
 */
export async function applyInstanceEvents(
  db: Database,
  reported: readonly ReportedEvent[],
): Promise<({ applied: true } | { applied: false; reason: EventRejection })[]> {
  if (reported.length === 0) return [];
  return db.transaction(async (tx) => {
    const ids = [...new Set(reported.map((r) => r.event.instanceId))].sort();
    // locked in id order, so two writers of overlapping instances never deadlock
    const rows = await tx.execute<{ id: string; cell_id: string | null; app_id: string; state: string }>(sql`
      select id, cell_id, app_id, state from ${instances}
      where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))
      order by id for update`);
    const found = new Map([...rows].map((row) => [row.id, row]));
    const outcomes = reported.map(({ cellId, event }) => {
      const instance = found.get(event.instanceId);
      if (!instance || instance.app_id !== event.appId)
        return { applied: false as const, reason: "unknown-instance" as const };
      if (instance.cell_id !== cellId)
        return { applied: false as const, reason: "not-on-this-cell" as const };
      return undefined;
    });
    const onceBy = (r: ReportedEvent) => r.onceBy ?? r.event.eventId;
    const candidates = [...new Set(reported.filter((_, i) => !outcomes[i]).map(onceBy))];
    const fresh = new Set<string>();
    if (candidates.length > 0) {
      const inserted = await tx.execute<{ event_id: string }>(sql`
        insert into ${appliedEvents} (event_id)
        select value from jsonb_array_elements_text(${JSON.stringify(candidates)}::jsonb)
        on conflict do nothing returning event_id`);
      for (const row of inserted) fresh.add(row.event_id);
    }
    const state = new Map([...found].map(([id, row]) => [id, row.state]));
    const changes = new Map<string, RowChange>();
    const crashes: { n: number; app_id: string; actor: string; data: Record<string, unknown> }[] = [];
    // which message took each fresh id: another copy of it in the same call is a duplicate too
    const takenBy = new Map<string, number>();
    const result = reported.map((r, i) => {
      const { cellId, event } = r;
      const rejected = outcomes[i];
      if (rejected) return rejected;
      const key = onceBy(r);
      const message = r.message ?? -1 - i;
      if (!fresh.has(key) || (takenBy.get(key) ?? message) !== message)
        return { applied: false as const, reason: "duplicate" as const };
      takenBy.set(key, message);
      if (state.get(event.instanceId) === "STOPPED")
        return { applied: false as const, reason: "instance-stopped" as const };
      state.set(event.instanceId, event.state);
      const change: RowChange = changes.get(event.instanceId) ?? {
        id: event.instanceId,
        state: event.state,
        since: event.at,
        net: false,
        address: null,
        container_ip: null,
        ports: [],
        set_reason: false,
        reason: null,
        crashes: 0,
      };
      change.state = event.state;
      change.since = event.at;
      if (event.state === "RUNNING") {
        change.net = true;
        change.address = event.address ?? null;
        change.container_ip = event.containerIP ?? null;
        change.ports = event.ports;
        change.set_reason = true;
        change.reason = null;
      } else if (event.state === "CRASHED") {
        change.set_reason = true;
        change.reason =
          event.exitCode === undefined ? event.reason : `${event.reason} (exit ${event.exitCode})`;
        change.crashes++;
        // crashes belong in the app's audit log, where `grove push` and `grove events` look
        crashes.push({
          n: crashes.length,
          app_id: event.appId,
          actor: `cell:${cellId}`,
          data: {
            instanceId: event.instanceId,
            index: event.index,
            reason: event.reason,
            exitCode: event.exitCode,
          },
        });
      }
      changes.set(event.instanceId, change);
      return { applied: true as const };
    });
    if (changes.size > 0) {
      await tx.execute(sql`
        update ${instances} x set state = p.state::instance_state,
          -- the cell's clock may run ahead: a state never starts in the future (crash backoff and
          -- route withdrawal count from it)
          since = least(p.since, now()),
          address = case when p.net then p.address else x.address end,
          container_ip = case when p.net then p.container_ip else x.container_ip end,
          ports = case when p.net then p.ports else x.ports end,
          reason = case when p.set_reason then p.reason else x.reason end,
          crash_count = x.crash_count + p.crashes,
          -- stamped here, so the trigger has nothing to do (a plpgsql call per row costs)
          written_by = pg_current_xact_id()
        from jsonb_to_recordset(${JSON.stringify([...changes.values()])}::jsonb) as p(id uuid, state text,
          since timestamptz, net boolean, address text, container_ip text, ports jsonb, set_reason boolean,
          reason text, crashes int)
        where x.id = p.id`);
    }
    if (crashes.length > 0) {
      await tx.execute(sql`
        insert into ${appEvents} (tenant_id, app_id, app_name, kind, actor, data)
        select a.tenant_id, a.id, a.name, 'instance-crashed', p.actor, p.data
        from jsonb_to_recordset(${JSON.stringify(crashes)}::jsonb) as p(n int, app_id uuid, actor text, data jsonb)
        join ${apps} a on a.id = p.app_id
        order by p.n`);
    }
    return result;
  });
}

/** One instance as listed for its app. */
export interface InstanceListing extends InstanceRow {
  cellName: string | null;
  /** what its cell's last heartbeat reported it uses (null before the first sample) */
  usage: InstanceUsage | null;
  /** when that heartbeat arrived */
  usageAt: Date | null;
  /** how far its cell's pull of its image was at that heartbeat (null unless starting and pulling) */
  pull: ImagePullProgress | null;
  /** its revision's limits */
  memoryMb: number | null;
  diskMb: number | null;
}

/**
 * An instance's usage or image pull progress as its cell's last heartbeat (`cells.last_report`)
 * reported it: heartbeats are stored whole, so neither costs a write of its own.
 */
const reported = <T>(field: "usage" | "pull") => sql<T | null>`(
  select e -> ${field}::text from jsonb_array_elements(coalesce(${cells.lastReport} -> 'instances', '[]'::jsonb)) e
  where e ->> 'instanceId' = ${instances.id}::text limit 1)`;

/** The instances of one tenant's apps; every query filters by the tenant id given at construction. */
export class TenantInstances {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** How many instances of each of these apps are RUNNING the app's current revision (absent: none). */
  async runningOf(appIds: string[]): Promise<Map<string, number>> {
    if (appIds.length === 0) return new Map();
    const rows = await this.db
      .select({ appId: instances.appId, running: sql<number>`count(*)::int` })
      .from(instances)
      .innerJoin(apps, and(eq(apps.id, instances.appId), eq(apps.revision, instances.revision)))
      .where(
        and(
          eq(instances.tenantId, this.tenantId),
          eq(apps.tenantId, this.tenantId),
          inArray(instances.appId, appIds),
          eq(instances.state, "RUNNING"),
        ),
      )
      .groupBy(instances.appId);
    return new Map(rows.map((r) => [r.appId, r.running]));
  }

  /** An app's instances that are not stopped, ordered by index then id, after the cursor key. */
  async ofApp(appId: string, limit: number, after?: [number, string]): Promise<InstanceListing[]> {
    const cursor =
      after === undefined
        ? undefined
        : or(gt(instances.index, after[0]), and(eq(instances.index, after[0]), gt(instances.id, after[1])));
    const rows = await this.db
      .select({
        instance: instances,
        cellName: cells.name,
        usage: reported<InstanceUsage>("usage"),
        pull: reported<ImagePullProgress>("pull"),
        usageAt: cells.lastHeartbeatAt,
        memoryMb: appRevisions.memoryMb,
        diskMb: appRevisions.diskMb,
      })
      .from(instances)
      .innerJoin(apps, eq(apps.id, instances.appId))
      .leftJoin(cells, eq(cells.id, instances.cellId))
      .leftJoin(
        appRevisions,
        and(eq(appRevisions.appId, instances.appId), eq(appRevisions.revision, instances.revision)),
      )
      .where(
        and(
          eq(instances.tenantId, this.tenantId),
          eq(apps.tenantId, this.tenantId),
          eq(instances.appId, appId),
          ne(instances.state, "STOPPED"),
          cursor,
        ),
      )
      .orderBy(asc(instances.index), asc(instances.id))
      .limit(limit);
    return rows.map(({ instance, usage, usageAt, pull, ...rest }) => {
      const live = usage !== null && (instance.state === "STARTING" || instance.state === "RUNNING");
      return {
        ...instance,
        ...rest,
        usage: live ? usage : null,
        usageAt: live ? usageAt : null,
        pull: instance.state === "STARTING" ? pull : null,
      };
    });
  }
}
