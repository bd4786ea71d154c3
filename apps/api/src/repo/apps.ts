import { type Database, schema } from "@grove/db";
import { and, asc, desc, eq, gt, lt, sql } from "drizzle-orm";
import { changedFields } from "../apps/revision";
import { Conflict, NotFound } from "../errors";
import { checkIfMatch, etagOf } from "../http/etag";
import { isUniqueViolation } from "./pg-errors";
import { TenantQuota } from "./quotas";
import type { Tx } from "./tx";

const { apps, appRevisions, appEvents } = schema;
export type AppRow = typeof apps.$inferSelect;
export type AppEventRow = typeof appEvents.$inferSelect;

/** What a create sets. */
export type NewApp = Pick<
  AppRow,
  "name" | "stack" | "command" | "env" | "instances" | "memoryMb" | "diskMb" | "ports" | "healthCheck"
>;
/** What an update may change. */
export type AppChanges = Partial<Omit<NewApp, "name"> & Pick<AppRow, "bitsDigest" | "state" | "restartedAt">>;

/** The ETag of an app row. */
export const appEtag = (row: AppRow) => etagOf(row.id, row.version);

/**
 * The apps of one tenant. Every query filters by the tenant id given at construction, so code
 * holding a `TenantApps` cannot reach another tenant's apps. Creates and updates are admitted
 * against the tenant's quota in their own transaction (`TenantQuota`).
 */
export class TenantApps {
  private readonly quota: TenantQuota;

  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {
    this.quota = new TenantQuota(db, tenantId);
  }

  /**
   * Creates an app at revision 1 and records the `created` event. `Conflict` if the name is
   * taken, `QuotaExceeded` if it does not fit the tenant's quota.
   */
  async create(spec: NewApp, actor: string): Promise<AppRow> {
    try {
      return await this.db.transaction(async (tx) => {
        const quota = await this.quota.lock(tx);
        await this.quota.admit(tx, quota, null, { ...spec, state: "started" });
        const [row] = await tx
          .insert(apps)
          .values({ ...spec, tenantId: this.tenantId })
          .returning();
        const app = row as AppRow;
        await this.recordRevision(tx, app);
        await this.recordEvent(tx, app, "created", actor, { revision: 1 });
        return app;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`app ${spec.name} already exists`);
      throw error;
    }
  }

  /** Apps ordered by name, after `afterName`. */
  list(limit: number, afterName?: string): Promise<AppRow[]> {
    const after = afterName === undefined ? undefined : gt(apps.name, afterName);
    return this.db
      .select()
      .from(apps)
      .where(and(eq(apps.tenantId, this.tenantId), after))
      .orderBy(asc(apps.name))
      .limit(limit);
  }

  /** One app by name; `NotFound` when it is not this tenant's. */
  async get(name: string): Promise<AppRow> {
    const [row] = await this.db.select().from(apps).where(this.byName(name));
    if (!row) throw new NotFound(`no app ${name}`);
    return row;
  }

  /**
   * Applies `changes` under a row lock after checking `ifMatch`. A change of what runs bumps the
   * revision (and stores it); every change bumps the version (the ETag). Unchanged input is a no-op.
   * A change that grows usage must fit the tenant's quota (`QuotaExceeded` otherwise).
   */
  async update(
    name: string,
    changes: AppChanges,
    options: { ifMatch?: string; actor: string; event: string },
  ): Promise<AppRow> {
    return this.db.transaction(async (tx) => {
      const quota = await this.quota.lock(tx);
      const [current] = await tx.select().from(apps).where(this.byName(name)).for("update");
      if (!current) throw new NotFound(`no app ${name}`);
      checkIfMatch(options.ifMatch, appEtag(current));
      const changed = changedFields(current, changes);
      if (changed.revision.length === 0 && changed.other.length === 0) return current;
      await this.quota.admit(tx, quota, current, {
        state: changes.state ?? current.state,
        instances: changes.instances ?? current.instances,
        memoryMb: changes.memoryMb ?? current.memoryMb,
        diskMb: changes.diskMb ?? current.diskMb,
      });
      const revision = changed.revision.length > 0 ? current.revision + 1 : current.revision;
      const [row] = await tx
        .update(apps)
        .set({
          ...changes,
          // the database's clock, like instances.created_at, which a restart is compared with
          ...(changes.restartedAt ? { restartedAt: sql`now()` } : {}),
          revision,
          version: current.version + 1,
          updatedAt: new Date(),
        })
        .where(eq(apps.id, current.id))
        .returning();
      const app = row as AppRow;
      if (revision !== current.revision) await this.recordRevision(tx, app);
      const data: Record<string, unknown> = { changed: [...changed.revision, ...changed.other], revision };
      if (changes.instances !== undefined)
        data.instances = { from: current.instances, to: changes.instances };
      await this.recordEvent(tx, app, options.event, options.actor, data);
      return app;
    });
  }

  /** Deletes an app (after `ifMatch`), keeping its events. */
  async delete(name: string, options: { ifMatch?: string; actor: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(apps).where(this.byName(name)).for("update");
      if (!current) throw new NotFound(`no app ${name}`);
      checkIfMatch(options.ifMatch, appEtag(current));
      await tx.delete(apps).where(eq(apps.id, current.id));
      await this.recordEvent(tx, current, "deleted", options.actor, {});
    });
  }

  /** An app's events, newest first, before event id `beforeId`. */
  async events(name: string, limit: number, beforeId?: number): Promise<AppEventRow[]> {
    const app = await this.get(name);
    const before = beforeId === undefined ? undefined : lt(appEvents.id, beforeId);
    return this.db
      .select()
      .from(appEvents)
      .where(and(eq(appEvents.tenantId, this.tenantId), eq(appEvents.appId, app.id), before))
      .orderBy(desc(appEvents.id))
      .limit(limit);
  }

  private byName(name: string) {
    return and(eq(apps.tenantId, this.tenantId), eq(apps.name, name));
  }

  private async recordRevision(tx: Tx, app: AppRow): Promise<void> {
    await tx.insert(appRevisions).values({
      appId: app.id,
      tenantId: this.tenantId,
      revision: app.revision,
      stack: app.stack,
      command: app.command,
      env: app.env,
      memoryMb: app.memoryMb,
      diskMb: app.diskMb,
      ports: app.ports,
      healthCheck: app.healthCheck,
      bitsDigest: app.bitsDigest,
    });
  }

  private async recordEvent(
    tx: Tx,
    app: AppRow,
    kind: string,
    actor: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await tx
      .insert(appEvents)
      .values({ tenantId: this.tenantId, appId: app.id, appName: app.name, kind, actor, data });
  }
}
