import { type Database, schema } from "@grove/db";
import type { ImagePullProgress, InstanceEvent, InstanceUsage } from "@grove/protocol";
import { and, asc, eq, gt, ne, or, sql } from "drizzle-orm";

const { instances, appliedEvents, apps, appEvents, appRevisions, cells } = schema;
export type InstanceRow = typeof instances.$inferSelect;

/** Why an instance event was not applied. */
export type EventRejection = "unknown-instance" | "not-on-this-cell" | "duplicate" | "instance-stopped";

/**
 * Applies one instance event reported by `cellId`, at most once per event id: the instance must
 * exist and be placed on that cell (a cell reports only its own instances).
 */
export async function applyInstanceEvent(
  db: Database,
  cellId: string,
  event: InstanceEvent,
): Promise<{ applied: true } | { applied: false; reason: EventRejection }> {
  return db.transaction(async (tx) => {
    const [instance] = await tx
      .select({ cellId: instances.cellId, appId: instances.appId, state: instances.state })
      .from(instances)
      .where(eq(instances.id, event.instanceId))
      .for("update");
    if (!instance || instance.appId !== event.appId) return { applied: false, reason: "unknown-instance" };
    if (instance.cellId !== cellId) return { applied: false, reason: "not-on-this-cell" };
    const fresh = await tx
      .insert(appliedEvents)
      .values({ eventId: event.eventId })
      .onConflictDoNothing()
      .returning();
    if (fresh.length === 0) return { applied: false, reason: "duplicate" };
    // a stopped instance stays stopped: late reports of a container being stopped change nothing
    if (instance.state === "STOPPED") return { applied: false, reason: "instance-stopped" };
    // the cell's clock may run ahead: a state never starts in the future (crash backoff and route
    // withdrawal count from it)
    const since = new Date(Math.min(Date.parse(event.at), Date.now()));
    const base = { state: event.state, since };
    const change =
      event.state === "RUNNING"
        ? {
            ...base,
            address: event.address ?? null,
            containerIp: event.containerIP ?? null,
            ports: event.ports,
            reason: null,
          }
        : event.state === "CRASHED"
          ? {
              ...base,
              reason:
                event.exitCode === undefined ? event.reason : `${event.reason} (exit ${event.exitCode})`,
              crashCount: sql`${instances.crashCount} + 1`,
            }
          : base;
    await tx.update(instances).set(change).where(eq(instances.id, event.instanceId));
    if (event.state === "CRASHED") {
      // crashes belong in the app's audit log, where `grove push` and `grove events` look
      const [app] = await tx
        .select({ tenantId: apps.tenantId, name: apps.name })
        .from(apps)
        .where(eq(apps.id, event.appId));
      if (app) {
        await tx.insert(appEvents).values({
          tenantId: app.tenantId,
          appId: event.appId,
          appName: app.name,
          kind: "instance-crashed",
          actor: `cell:${cellId}`,
          data: {
            instanceId: event.instanceId,
            index: event.index,
            reason: event.reason,
            exitCode: event.exitCode,
          },
        });
      }
    }
    return { applied: true };
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
