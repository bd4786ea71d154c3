import { type Database, schema } from "@grove/db";
import { and, eq, type SQL, sql } from "drizzle-orm";
import { QuotaExceeded } from "../errors";
import { checkIfMatch, etagOf } from "../http/etag";
import {
  type Asked,
  askedBy,
  type Countable,
  checkQuota,
  type QuotaField,
  type Refusal,
  type Usage,
} from "../quotas/check";
import { inOrder, send, type Tx } from "./tx";

const { apps, tenantQuotas, spaceQuotas, volumes } = schema;
type Limits =
  | "memoryMb"
  | "instanceMemoryMb"
  | "instances"
  | "apps"
  | "diskMb"
  | "routes"
  | "logLinesPerSecond"
  | "volumes"
  | "volumeMb";
/** A quota row of a tenant or a space: its limits (null = unlimited), version and change time. */
export type QuotaRow = Pick<typeof tenantQuotas.$inferSelect, Limits | "version" | "updatedAt">;
/** The settable limits of a quota (null = unlimited, absent = unchanged). */
export type QuotaLimitChanges = Partial<Pick<QuotaRow, Limits>>;

/** Whose quota: a tenant's, or one space's inside it. */
export type QuotaScope =
  | { kind: "tenant"; tenantId: string }
  | { kind: "space"; tenantId: string; spaceId: string; spaceName: string };

/** API names and units of the checked fields, for refusals. */
const FIELD_NAMES: Record<QuotaField, { name: string; unit: string }> = {
  memoryMb: { name: "memory_mb", unit: " MB" },
  instanceMemoryMb: { name: "instance_memory_mb", unit: " MB per instance" },
  instances: { name: "instances", unit: " instances" },
  apps: { name: "apps", unit: " apps" },
  diskMb: { name: "disk_mb", unit: " MB" },
  routes: { name: "routes", unit: " routes" },
  volumes: { name: "volumes", unit: " volumes" },
  volumeMb: { name: "volume_mb", unit: " MB" },
};

const UNLIMITED: QuotaRow = {
  memoryMb: null,
  instanceMemoryMb: null,
  instances: null,
  apps: null,
  diskMb: null,
  routes: null,
  logLinesPerSecond: null,
  volumes: null,
  volumeMb: null,
  version: 0,
  updatedAt: new Date(0),
};

/**
 * The quota of a tenant or a space, and its admission. Usage is computed from the apps' desired
 * state in the transaction that changes them, never kept as a counter, so it cannot drift.
 */
export class Quota {
  constructor(
    private readonly db: Database,
    readonly scope: QuotaScope,
  ) {}

  /** The ETag of this quota at `version` (0 until first set). */
  etag(version: number): string {
    return etagOf(this.scope.kind === "tenant" ? this.scope.tenantId : this.scope.spaceId, version);
  }

  /**
   * Locks the quota row until `tx` ends (making the row when there is none), so every request
   * that may grow this usage is admitted one after another. Lock order, in every transaction:
   * the tenant's row, then the space's, then app rows.
   *
   * Both statements are sent when this is called, before it returns (no await in between), so
   * a caller can pipeline locks on the transaction's connection: Postgres runs them in the order
   * sent, in one round trip. The insert of a row that exists writes nothing.
   */
  async lock(tx: Tx): Promise<QuotaRow> {
    const inserted = send(
      this.scope.kind === "tenant"
        ? tx.insert(tenantQuotas).values({ tenantId: this.scope.tenantId }).onConflictDoNothing()
        : tx
            .insert(spaceQuotas)
            .values({ spaceId: this.scope.spaceId, tenantId: this.scope.tenantId })
            .onConflictDoNothing(),
    );
    const selected = send(this.query(tx).for("update"));
    const [, [locked]] = await inOrder([inserted, selected]);
    if (!locked) throw new Error(`quota row of ${this.scope.kind} vanished`);
    return locked;
  }

  /**
   * Checks that changing an app from `before` to `after` (null: create or delete) fits `quota`,
   * which `lock` returned in this `tx`; throws `QuotaExceeded` naming the limit, usage and ask.
   */
  async admit(tx: Tx, quota: QuotaRow, before: Countable | null, after: Countable | null): Promise<void> {
    await this.admitAsked(tx, quota, askedBy(before, after));
  }

  /** Checks that `asked` (e.g. a new volume's) fits `quota`, locked in this `tx`, like `admit`. */
  async admitAsked(tx: Tx, quota: QuotaRow, asked: Asked): Promise<void> {
    const refusal = await this.refusal(tx, quota, asked);
    if (refusal) throw this.exceeded(refusal);
  }

  /**
   * Checks `asked` against both quotas, locked in this `tx` (the tenant's first, then the
   * space's, like `admitAsked` on each), reading both usages in one round trip.
   */
  static async admitBoth(
    tx: Tx,
    tenant: { quota: Quota; row: QuotaRow },
    space: { quota: Quota; row: QuotaRow },
    asked: Asked,
  ): Promise<void> {
    const [tenantRefusal, spaceRefusal] = await Promise.all([
      tenant.quota.refusal(tx, tenant.row, asked),
      space.quota.refusal(tx, space.row, asked),
    ]);
    if (tenantRefusal) throw tenant.quota.exceeded(tenantRefusal);
    if (spaceRefusal) throw space.quota.exceeded(spaceRefusal);
  }

  private async refusal(tx: Tx, quota: QuotaRow, asked: Asked): Promise<Refusal | null> {
    if (!hasLimits(quota)) return null;
    return checkQuota(quota, await this.usage(tx), asked);
  }

  /** The usage now, in one statement (so one consistent snapshot). */
  async usage(q: Database | Tx = this.db): Promise<Usage> {
    const started = sql`${apps.state} = 'started'`;
    const ownVolumes =
      this.scope.kind === "tenant"
        ? sql`${volumes.tenantId} = ${this.scope.tenantId}`
        : sql`${volumes.tenantId} = ${this.scope.tenantId} and ${volumes.spaceId} = ${this.scope.spaceId}`;
    const sum = (value: SQL) => sql`coalesce(sum(${value}) filter (where ${started}), 0)`.mapWith(Number);
    const [row] = await q
      .select({
        apps: sql`count(*)`.mapWith(Number),
        // every app has its one default route
        routes: sql`count(*)`.mapWith(Number),
        instances: sum(sql`${apps.instances}`),
        memoryMb: sum(sql`${apps.instances}::bigint * ${apps.memoryMb}`),
        diskMb: sum(sql`${apps.instances}::bigint * ${apps.diskMb}`),
        instanceMemoryMb:
          sql`coalesce(max(${apps.memoryMb}) filter (where ${started} and ${apps.instances} > 0), 0)`.mapWith(
            Number,
          ),
        volumes: sql`(select count(*) from ${volumes} where ${ownVolumes})`.mapWith(Number),
        // a snapshot counts its volume's size, like another copy of the volume
        volumeMb: sql`(select coalesce(sum(${volumes.sizeMb}), 0) from ${volumes} where ${ownVolumes})
          + (select coalesce(sum(s.size_mb), 0) from volume_snapshots s
              join volumes on volumes.id = s.volume_id where ${ownVolumes})`.mapWith(Number),
      })
      .from(apps)
      .where(
        this.scope.kind === "tenant"
          ? eq(apps.tenantId, this.scope.tenantId)
          : and(eq(apps.tenantId, this.scope.tenantId), eq(apps.spaceId, this.scope.spaceId)),
      );
    return row as Usage;
  }

  /** The quota (all limits null and version 0 when never set) and the usage beside it. */
  async show(): Promise<{ quota: QuotaRow; usage: Usage }> {
    return { quota: (await this.select(this.db)) ?? UNLIMITED, usage: await this.usage() };
  }

  /** Changes limits after checking `ifMatch`; lowering below usage is allowed (it only blocks growth). */
  async set(changes: QuotaLimitChanges, ifMatch: string | undefined): Promise<QuotaRow> {
    return this.db.transaction(async (tx) => {
      const current = await this.lock(tx);
      checkIfMatch(ifMatch, this.etag(current.version));
      const values = { ...changes, version: current.version + 1, updatedAt: new Date() };
      const [row] =
        this.scope.kind === "tenant"
          ? await tx
              .update(tenantQuotas)
              .set(values)
              .where(eq(tenantQuotas.tenantId, this.scope.tenantId))
              .returning()
          : await tx
              .update(spaceQuotas)
              .set(values)
              .where(eq(spaceQuotas.spaceId, this.scope.spaceId))
              .returning();
      return row as QuotaRow;
    });
  }

  private async select(q: Database | Tx): Promise<QuotaRow | undefined> {
    const [row] = await this.query(q);
    return row;
  }

  private query(q: Database | Tx) {
    return this.scope.kind === "tenant"
      ? q.select().from(tenantQuotas).where(eq(tenantQuotas.tenantId, this.scope.tenantId))
      : q.select().from(spaceQuotas).where(eq(spaceQuotas.spaceId, this.scope.spaceId));
  }

  private exceeded(refusal: Refusal): QuotaExceeded {
    const { name, unit } = FIELD_NAMES[refusal.field];
    const whose = this.scope.kind === "tenant" ? "the tenant's" : `space ${this.scope.spaceName}'s`;
    const detail =
      refusal.field === "instanceMemoryMb"
        ? `${whose} quota allows at most ${refusal.limit}${unit}; this asks for ${refusal.asked}`
        : `${whose} ${name} quota is ${refusal.limit}${unit}: ${refusal.usage} in use, this asks for ${refusal.asked} more`;
    const { limit, usage, asked } = refusal;
    return new QuotaExceeded(detail, {
      scope: this.scope.kind,
      ...(this.scope.kind === "space" ? { space: this.scope.spaceName } : {}),
      field: name,
      limit,
      usage,
      asked,
    });
  }
}

function hasLimits(quota: QuotaRow): boolean {
  return [
    quota.memoryMb,
    quota.instanceMemoryMb,
    quota.instances,
    quota.apps,
    quota.diskMb,
    quota.routes,
    quota.volumes,
    quota.volumeMb,
  ].some((limit) => limit !== null);
}
