import { type Database, schema } from "@grove/db";
import { eq, sql } from "drizzle-orm";
import { QuotaExceeded } from "../errors";
import { checkIfMatch, etagOf } from "../http/etag";
import {
  askedBy,
  type Countable,
  checkQuota,
  type QuotaField,
  type Refusal,
  type Usage,
} from "../quotas/check";
import type { Tx } from "./tx";

const { apps, tenantQuotas } = schema;
export type TenantQuotaRow = typeof tenantQuotas.$inferSelect;
/** The settable limits of a quota (null = unlimited). */
export type QuotaLimitChanges = Partial<
  Pick<
    TenantQuotaRow,
    "memoryMb" | "instanceMemoryMb" | "instances" | "apps" | "diskMb" | "routes" | "logLinesPerSecond"
  >
>;

/** API names and units of the checked fields, for refusals. */
const FIELD_NAMES: Record<QuotaField, { name: string; unit: string }> = {
  memoryMb: { name: "memory_mb", unit: " MB" },
  instanceMemoryMb: { name: "instance_memory_mb", unit: " MB per instance" },
  instances: { name: "instances", unit: " instances" },
  apps: { name: "apps", unit: " apps" },
  diskMb: { name: "disk_mb", unit: " MB" },
};

/** The ETag of a tenant's quota (version 0 until first set). */
export const quotaEtag = (tenantId: string, version: number) => etagOf(tenantId, version);

/**
 * The quota of one tenant and its admission. Usage is computed from the apps' desired state in the
 * transaction that changes them, never kept as a counter, so it cannot drift.
 */
export class TenantQuota {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /**
   * Locks the tenant's quota row until `tx` ends (making the row when the tenant has none), so
   * every request that may grow the tenant's usage is admitted one after another. Lock it before
   * any app row, in every transaction, so locks are always taken in the same order.
   */
  async lock(tx: Tx): Promise<TenantQuotaRow> {
    const locked = await this.selectForUpdate(tx);
    if (locked) return locked;
    await tx.insert(tenantQuotas).values({ tenantId: this.tenantId }).onConflictDoNothing();
    const made = await this.selectForUpdate(tx);
    if (!made) throw new Error(`quota row of tenant ${this.tenantId} vanished`);
    return made;
  }

  /**
   * Checks that changing an app from `before` to `after` (null: create or delete) fits `quota`,
   * which `lock` returned in this `tx`; throws `QuotaExceeded` naming the limit, usage and ask.
   */
  async admit(
    tx: Tx,
    quota: TenantQuotaRow,
    before: Countable | null,
    after: Countable | null,
  ): Promise<void> {
    if (!hasLimits(quota)) return;
    const refusal = checkQuota(quota, await this.usage(tx), askedBy(before, after));
    if (refusal) throw quotaExceeded(refusal);
  }

  /** The tenant's usage now, in one statement (so one consistent snapshot). */
  async usage(q: Database | Tx = this.db): Promise<Usage> {
    const started = sql`${apps.state} = 'started'`;
    const [row] = await q
      .select({
        apps: sql`count(*)`.mapWith(Number),
        instances: sql`coalesce(sum(${apps.instances}) filter (where ${started}), 0)`.mapWith(Number),
        memoryMb:
          sql`coalesce(sum(${apps.instances}::bigint * ${apps.memoryMb}) filter (where ${started}), 0)`.mapWith(
            Number,
          ),
        diskMb:
          sql`coalesce(sum(${apps.instances}::bigint * ${apps.diskMb}) filter (where ${started}), 0)`.mapWith(
            Number,
          ),
        instanceMemoryMb:
          sql`coalesce(max(${apps.memoryMb}) filter (where ${started} and ${apps.instances} > 0), 0)`.mapWith(
            Number,
          ),
      })
      .from(apps)
      .where(eq(apps.tenantId, this.tenantId));
    return row as Usage;
  }

  /** The quota (all limits null and version 0 when never set) and the usage beside it. */
  async show(): Promise<{ quota: TenantQuotaRow; usage: Usage }> {
    const [row] = await this.db.select().from(tenantQuotas).where(eq(tenantQuotas.tenantId, this.tenantId));
    return { quota: row ?? this.unlimited(), usage: await this.usage() };
  }

  /** Changes limits after checking `ifMatch`; lowering below usage is allowed (it only blocks growth). */
  async set(changes: QuotaLimitChanges, ifMatch: string | undefined): Promise<TenantQuotaRow> {
    return this.db.transaction(async (tx) => {
      const current = await this.lock(tx);
      checkIfMatch(ifMatch, quotaEtag(this.tenantId, current.version));
      const [row] = await tx
        .update(tenantQuotas)
        .set({ ...changes, version: current.version + 1, updatedAt: new Date() })
        .where(eq(tenantQuotas.tenantId, this.tenantId))
        .returning();
      return row as TenantQuotaRow;
    });
  }

  private async selectForUpdate(tx: Tx): Promise<TenantQuotaRow | undefined> {
    const [row] = await tx
      .select()
      .from(tenantQuotas)
      .where(eq(tenantQuotas.tenantId, this.tenantId))
      .for("update");
    return row;
  }

  private unlimited(): TenantQuotaRow {
    return {
      tenantId: this.tenantId,
      memoryMb: null,
      instanceMemoryMb: null,
      instances: null,
      apps: null,
      diskMb: null,
      routes: null,
      logLinesPerSecond: null,
      version: 0,
      updatedAt: new Date(0),
    };
  }
}

function hasLimits(quota: TenantQuotaRow): boolean {
  return [quota.memoryMb, quota.instanceMemoryMb, quota.instances, quota.apps, quota.diskMb].some(
    (limit) => limit !== null,
  );
}

function quotaExceeded(refusal: Refusal): QuotaExceeded {
  const { name, unit } = FIELD_NAMES[refusal.field];
  const detail =
    refusal.field === "instanceMemoryMb"
      ? `the tenant's quota allows at most ${refusal.limit}${unit}; this asks for ${refusal.asked}`
      : `the tenant's ${name} quota is ${refusal.limit}${unit}: ${refusal.usage} in use, this asks for ${refusal.asked} more`;
  return new QuotaExceeded(detail, { scope: "tenant", field: name, ...pick(refusal) });
}

const pick = ({ limit, usage, asked }: Refusal) => ({ limit, usage, asked });
