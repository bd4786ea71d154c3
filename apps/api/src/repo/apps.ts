import { type Database, schema } from "@grove/db";
import { and, asc, desc, eq, getTableColumns, gt, inArray, lt, or, sql } from "drizzle-orm";
import { changedFields } from "../apps/revision";
import { Conflict, NotFound } from "../errors";
import { checkIfMatch, etagOf } from "../http/etag";
import { askedBy, type Countable } from "../quotas/check";
import { checkSingleWriter, type RequestedMount, resolveMounts } from "../volumes/mounts";
import { isForeignKeyViolation, isUniqueViolation } from "./pg-errors";
import { preparedPerDatabase } from "./prepared";
import { Quota } from "./quotas";
import { inOrder, SentLast, send, type Tx } from "./tx";

const { apps, appRevisions, appEvents, spaces } = schema;
export type AppRow = typeof apps.$inferSelect;
/** An app row with the name of its space, as `TenantApps` returns them. */
export type SpacedAppRow = AppRow & { spaceName: string };
export type AppEventRow = typeof appEvents.$inferSelect;

/** What a create sets. */
export type NewApp = Pick<
  AppRow,
  | "name"
  | "stack"
  | "command"
  | "env"
  | "instances"
  | "memoryMb"
  | "diskMb"
  | "ports"
  | "healthCheck"
  | "image"
  | "imageCredentials"
>;
/** An app's name within its space: app names are unique per space. */
export interface AppKey {
  spaceId: string;
  name: string;
}
/** An app's name within its space, with the space's name (as `TenantApps` returns apps). */
export interface SpacedAppKey extends AppKey {
  spaceName: string;
}
/** A space an app is in, as admission names it. */
export interface AppSpace {
  id: string;
  name: string;
}
/** What an update may change; `volumes` replaces the mounts (volumes by name). */
export type AppChanges = Partial<
  Omit<NewApp, "name"> & Pick<AppRow, "bitsDigest" | "state" | "restartedAt">
> & {
  volumes?: RequestedMount[];
};

/**
 * How an update is recorded, and `alongside`: a read made in the update's transaction, sent with
 * the update's statements (one round trip) so it sees the app as changed (it runs even when
 * nothing changed).
 */
export interface UpdateOptions {
  ifMatch?: string;
  actor: string;
  event: string;
  alongside?: (tx: Tx, appId: string) => Promise<void>;
}

/** Apps with their space's name. */
function selectSpaced(db: Database) {
  return db
    .select({ ...getTableColumns(apps), spaceName: spaces.name })
    .from(apps)
    .innerJoin(spaces, eq(spaces.id, apps.spaceId))
    .$dynamic();
}

// the request path's lookups of one app, built once (`preparedPerDatabase`)
const appByKey = preparedPerDatabase((db) =>
  selectSpaced(db)
    .where(
      and(
        eq(apps.tenantId, sql.placeholder("tenantId")),
        eq(apps.spaceId, sql.placeholder("spaceId")),
        eq(apps.name, sql.placeholder("name")),
      ),
    )
    .prepare("grove_app_by_key"),
);
const appsNamed = preparedPerDatabase((db) =>
  selectSpaced(db)
    .where(and(eq(apps.tenantId, sql.placeholder("tenantId")), eq(apps.name, sql.placeholder("name"))))
    .orderBy(asc(spaces.name))
    .prepare("grove_apps_named"),
);

/** The ETag of an app row. */
export const appEtag = (row: AppRow) => etagOf(row.id, row.version);

/**
 * The apps of one tenant. Every query filters by the tenant id given at construction, so code
 * holding a `TenantApps` cannot reach another tenant's apps. Creates and updates are admitted
 * against the tenant's and the app's space's quotas in their own transaction (`Quota`).
 */
export class TenantApps {
  private readonly tenantQuota: Quota;

  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {
    this.tenantQuota = new Quota(db, { kind: "tenant", tenantId });
  }

  /**
   * Creates an app at revision 1 and records the `created` event. `Conflict` if the name is
   * taken, `QuotaExceeded` if it does not fit the tenant's or the space's quota, `NotFound` for a
   * volume not in the app's space, `SingleWriterVolume` for a single-writer volume it cannot mount.
   */
  async create(
    spec: NewApp,
    space: AppSpace,
    actor: string,
    requestedMounts: readonly RequestedMount[] = [],
  ): Promise<SpacedAppRow> {
    try {
      return await this.db.transaction(async (tx) => {
        const admit = await this.lockQuotas(tx, space);
        await admit(null, { ...spec, state: "started" });
        const mounts = await resolveMounts(
          tx,
          { tenantId: this.tenantId, spaceId: space.id },
          requestedMounts,
        );
        await checkSingleWriter(tx, { id: null, name: spec.name, instances: spec.instances }, mounts);
        const [row] = await tx
          .insert(apps)
          .values({ ...spec, volumes: mounts, tenantId: this.tenantId, spaceId: space.id })
          .returning();
        const app = row as AppRow;
        await this.recordRevision(tx, app);
        await this.recordEvent(tx, app, "created", actor, { revision: 1 });
        return { ...app, spaceName: space.name };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new Conflict(`app ${spec.name} already exists in space ${space.name}`);
      throw error;
    }
  }

  /**
   * Apps ordered by name then space, after the cursor `after` ([name, space id]), of the spaces
   * `spaceIds` when given (an empty list: none).
   */
  list(limit: number, after?: [string, string], spaceIds?: string[]): Promise<SpacedAppRow[]> {
    if (spaceIds?.length === 0) return Promise.resolve([]);
    const afterCursor =
      after === undefined
        ? undefined
        : or(gt(apps.name, after[0]), and(eq(apps.name, after[0]), gt(apps.spaceId, after[1])));
    const inSpaces = spaceIds === undefined ? undefined : inArray(apps.spaceId, spaceIds);
    return selectSpaced(this.db)
      .where(and(eq(apps.tenantId, this.tenantId), afterCursor, inSpaces))
      .orderBy(asc(apps.name), asc(apps.spaceId))
      .limit(limit);
  }

  /** One app by space and name; `NotFound` when it is not this tenant's. */
  async get(key: AppKey, spaceName?: string): Promise<SpacedAppRow> {
    const [row] = await appByKey(this.db).execute({
      tenantId: this.tenantId,
      spaceId: key.spaceId,
      name: key.name,
    });
    if (!row)
      throw new NotFound(spaceName ? `no app ${key.name} in space ${spaceName}` : `no app ${key.name}`);
    return row;
  }

  /** The tenant's apps of this name, one per space at most. */
  named(name: string): Promise<SpacedAppRow[]> {
    return appsNamed(this.db).execute({ tenantId: this.tenantId, name });
  }

  /**
   * Applies `changes` under a row lock after checking `ifMatch`. A change of what runs bumps the
   * revision (and stores it); every change bumps the version (the ETag). Unchanged input is a no-op.
   * A change that grows usage must fit the tenant's and the space's quotas (`QuotaExceeded` otherwise).
   *
   * Round trips are what a request pays for when the api's event loop is busy (every await waits
   * its turn behind the leader's work), so statements that do not depend on each other's results
   * are pipelined: BEGIN and the locks of the quota rows and the app row go in one, the update,
   * its event (and revision) and the COMMIT in another.
   */
  async update(key: SpacedAppKey, changes: AppChanges, options: UpdateOptions): Promise<SpacedAppRow> {
    // an app never changes space, so the space its key names is the one whose quota it counts in
    const placed = { id: key.spaceId, name: key.spaceName };
    const notFound = new NotFound(`no app ${key.name}`);
    try {
      return await this.transactUpdate(key, placed, changes, options, notFound);
    } catch (error) {
      // the space went (with its apps) since the caller read the app: its quota row cannot be made
      if (isForeignKeyViolation(error)) throw notFound;
      throw error;
    }
  }

  private async transactUpdate(
    key: AppKey,
    placed: AppSpace,
    changes: AppChanges,
    options: UpdateOptions,
    notFound: NotFound,
  ): Promise<SpacedAppRow> {
    const done = await this.db.transaction(async (tx) => {
      // sent in lock order (tenant's quota, space's quota, app row; `lockQuotas` sends both
      // quotas' statements before it returns), run by Postgres in that order. The app row is locked
      // as an UPDATE of no key column locks it (`for no key update`): the leader's inserts of the
      // app's instances share its key (their foreign key check), and neither waits for the other
      const [admit, [current]] = await inOrder([
        this.lockQuotas(tx, placed),
        send(tx.select().from(apps).where(this.byKey(key)).for("no key update")),
      ]);
      if (!current) throw notFound;
      checkIfMatch(options.ifMatch, appEtag(current));
      const { volumes: requestedMounts, ...rest } = changes;
      const rowChanges: Partial<AppRow> = rest;
      if (rest.command !== undefined && rest.image === undefined && current.image?.args) {
        // a docker app given a command runs it instead of the image's Entrypoint+Cmd
        const { args: _args, ...image } = current.image;
        rowChanges.image = image;
      }
      if (requestedMounts !== undefined) {
        rowChanges.volumes = await resolveMounts(
          tx,
          { tenantId: this.tenantId, spaceId: placed.id },
          requestedMounts,
        );
      }
      const changed = changedFields(current, rowChanges);
      if (changed.revision.length === 0 && changed.other.length === 0) {
        await options.alongside?.(tx, current.id);
        return { ...current, spaceName: placed.name };
      }
      if (changed.revision.includes("volumes") || changed.other.includes("instances")) {
        await checkSingleWriter(
          tx,
          { id: current.id, name: current.name, instances: rowChanges.instances ?? current.instances },
          rowChanges.volumes ?? current.volumes,
        );
      }
      await admit(current, {
        state: changes.state ?? current.state,
        instances: changes.instances ?? current.instances,
        memoryMb: changes.memoryMb ?? current.memoryMb,
        diskMb: changes.diskMb ?? current.diskMb,
      });
      const revision = changed.revision.length > 0 ? current.revision + 1 : current.revision;
      const data: Record<string, unknown> = { changed: [...changed.revision, ...changed.other], revision };
      if (rowChanges.instances !== undefined)
        data.instances = { from: current.instances, to: rowChanges.instances };
      const updatedAt = new Date();
      // sent last and returned unawaited: the COMMIT goes out with them (see `SentLast`)
      const written = inOrder([
        send(
          tx
            .update(apps)
            .set({
              ...rowChanges,
              // the database's clock, like instances.created_at, which a restart is compared with
              ...(changes.restartedAt ? { restartedAt: sql`now()` } : {}),
              revision,
              version: current.version + 1,
              updatedAt,
            })
            .where(eq(apps.id, current.id))
            .returning(),
        ),
        // what runs at the new revision is the current row with the changes (restartedAt is not
        // part of a revision), so it is recorded beside the update, not after it
        revision !== current.revision
          ? this.recordRevision(tx, { ...current, ...definedOnly(rowChanges), revision, updatedAt })
          : undefined,
        this.recordEvent(tx, current, options.event, options.actor, data),
        options.alongside?.(tx, current.id),
      ] as const);
      return new SentLast(written.then(([[row]]) => ({ ...(row as AppRow), spaceName: placed.name })));
    });
    return done instanceof SentLast ? done.read() : done;
  }

  /** Deletes an app (after `ifMatch`), keeping its events. */
  async delete(key: AppKey, options: { ifMatch?: string; actor: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [current] = await tx.select().from(apps).where(this.byKey(key)).for("update");
      if (!current) throw new NotFound(`no app ${key.name}`);
      checkIfMatch(options.ifMatch, appEtag(current));
      await tx.delete(apps).where(eq(apps.id, current.id));
      await this.recordEvent(tx, current, "deleted", options.actor, {});
    });
  }

  /** An app's events, newest first, before event id `beforeId`. */
  events(appId: string, limit: number, beforeId?: number): Promise<AppEventRow[]> {
    const before = beforeId === undefined ? undefined : lt(appEvents.id, beforeId);
    return this.db
      .select()
      .from(appEvents)
      .where(and(eq(appEvents.tenantId, this.tenantId), eq(appEvents.appId, appId), before))
      .orderBy(desc(appEvents.id))
      .limit(limit);
  }

  /**
   * Locks the tenant's quota row, then the space's (both sent before this returns, in that order),
   * and returns a check of a change against both: the tenant's first, then the space's.
   */
  private async lockQuotas(tx: Tx, space: AppSpace) {
    const spaceQuota = new Quota(this.db, {
      kind: "space",
      tenantId: this.tenantId,
      spaceId: space.id,
      spaceName: space.name,
    });
    const [tenantRow, spaceRow] = await inOrder([this.tenantQuota.lock(tx), spaceQuota.lock(tx)]);
    return (before: Countable | null, after: Countable | null) =>
      Quota.admitBoth(
        tx,
        { quota: this.tenantQuota, row: tenantRow },
        { quota: spaceQuota, row: spaceRow },
        askedBy(before, after),
      );
  }

  private byKey(key: AppKey) {
    return and(eq(apps.tenantId, this.tenantId), eq(apps.spaceId, key.spaceId), eq(apps.name, key.name));
  }

  /** Records `app`'s revision; the insert is sent before this returns (see `send`). */
  private async recordRevision(tx: Tx, app: AppRow): Promise<void> {
    await send(
      tx.insert(appRevisions).values({
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
        volumes: app.volumes,
        image: app.image,
      }),
    );
  }

  private async recordEvent(
    tx: Tx,
    app: AppRow,
    kind: string,
    actor: string,
    data: Record<string, unknown>,
  ): Promise<void> {
    await send(
      tx
        .insert(appEvents)
        .values({ tenantId: this.tenantId, appId: app.id, appName: app.name, kind, actor, data }),
    );
  }
}

/** The fields of `changes` that are set (an update leaves a field given as undefined unchanged). */
function definedOnly<T extends object>(changes: T): Partial<T> {
  return Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined)) as Partial<T>;
}
