import { type Database, schema } from "@grove/db";
import { and, asc, eq, getTableColumns, gt, inArray, sql } from "drizzle-orm";
import { Conflict, NotFound, VolumeInUse, type VolumeUsers } from "../errors";
import { askedByVolume } from "../quotas/check";
import { isUniqueViolation } from "./pg-errors";
import { Quota } from "./quotas";
import type { Tx } from "./tx";

const { volumes, volumeSnapshots, cells, spaces, apps, instances, appRevisions } = schema;
export type VolumeRow = typeof volumes.$inferSelect;
/** A volume with the names of its space and of the cell its data lives on (null until placed). */
export type VolumeListing = VolumeRow & { spaceName: string; cellName: string | null };

/** What a create sets. */
export type NewVolume = Pick<VolumeRow, "name" | "sizeMb" | "shared">;

/**
 * The volumes of one tenant. Every query filters by the tenant id given at construction, so code
 * holding a `TenantVolumes` cannot reach another tenant's volumes (they are simply not found).
 */
export class TenantVolumes {
  private readonly tenantQuota: Quota;

  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {
    this.tenantQuota = new Quota(db, { kind: "tenant", tenantId });
  }

  /**
   * Creates a volume in `space`, admitted against the tenant's and the space's volume quotas in
   * the same transaction (tenant row locked first, then the space's, as for apps). `Conflict` if
   * the tenant already has one of that name, `QuotaExceeded` if it does not fit.
   */
  async create(spec: NewVolume, space: { id: string; name: string }): Promise<VolumeListing> {
    try {
      return await this.db.transaction(async (tx) => {
        const spaceQuota = new Quota(this.db, {
          kind: "space",
          tenantId: this.tenantId,
          spaceId: space.id,
          spaceName: space.name,
        });
        const tenantRow = await this.tenantQuota.lock(tx);
        const spaceRow = await spaceQuota.lock(tx);
        await this.tenantQuota.admitAsked(tx, tenantRow, askedByVolume(spec.sizeMb));
        await spaceQuota.admitAsked(tx, spaceRow, askedByVolume(spec.sizeMb));
        const [row] = await tx
          .insert(volumes)
          .values({ ...spec, tenantId: this.tenantId, spaceId: space.id })
          .returning();
        return { ...(row as VolumeRow), spaceName: space.name, cellName: null };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`volume ${spec.name} already exists`);
      throw error;
    }
  }

  /** Volumes ordered by name, after `afterName`, of the spaces `spaceIds` when given (empty: none). */
  list(limit: number, afterName?: string, spaceIds?: string[]): Promise<VolumeListing[]> {
    if (spaceIds?.length === 0) return Promise.resolve([]);
    const after = afterName === undefined ? undefined : gt(volumes.name, afterName);
    const inSpace = spaceIds === undefined ? undefined : inArray(volumes.spaceId, spaceIds);
    return this.listing()
      .where(and(eq(volumes.tenantId, this.tenantId), after, inSpace))
      .orderBy(asc(volumes.name))
      .limit(limit);
  }

  /** One volume by name; `NotFound` when it is not this tenant's. */
  async get(name: string): Promise<VolumeListing> {
    const [row] = await this.listing().where(this.byName(name));
    if (!row) throw new NotFound(`no volume ${name}`);
    return row;
  }

  /** The apps that mount volume `id` and the instances (not stopped) whose revision mounts it. */
  async usersOf(id: string, q: Database | Tx = this.db): Promise<VolumeUsers> {
    const mounting = sql`@> ${JSON.stringify([{ volumeId: id }])}::jsonb`;
    const appRows = await q
      .select({ name: apps.name })
      .from(apps)
      .where(and(eq(apps.tenantId, this.tenantId), sql`${apps.volumes} ${mounting}`))
      .orderBy(asc(apps.name));
    const instanceRows = await q
      .select({
        app: apps.name,
        index: instances.index,
        id: instances.id,
        state: instances.state,
        cell: cells.name,
      })
      .from(instances)
      .innerJoin(apps, eq(apps.id, instances.appId))
      .innerJoin(
        appRevisions,
        and(eq(appRevisions.appId, instances.appId), eq(appRevisions.revision, instances.revision)),
      )
      .leftJoin(cells, eq(cells.id, instances.cellId))
      .where(
        and(
          eq(instances.tenantId, this.tenantId),
          sql`${instances.state} <> 'STOPPED'`,
          sql`${appRevisions.volumes} ${mounting}`,
        ),
      )
      .orderBy(asc(apps.name), asc(instances.index));
    return { apps: appRows.map((row) => row.name), instances: instanceRows };
  }

  /**
   * Deletes a volume that nothing uses (`VolumeInUse` naming the apps and instances otherwise;
   * `NotFound` when it is not this tenant's). The row is locked first, so an app change that
   * would mount it either waits and then finds no volume, or commits first and blocks the delete.
   * Freeing the space on its cell is the caller's part (the cell's agent removes the image), and
   * removing its snapshots' archives (their ids are returned).
   */
  async delete(name: string): Promise<VolumeRow & { snapshotIds: string[] }> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.select().from(volumes).where(this.byName(name)).for("update");
      if (!row) throw new NotFound(`no volume ${name}`);
      const users = await this.usersOf(row.id, tx);
      if (users.apps.length > 0 || users.instances.length > 0) {
        throw new VolumeInUse(`volume ${name} is in use: ${describeUsers(users)}`, users);
      }
      // its snapshots go with it (the rows by cascade; their archives are the caller's to remove)
      const snapshots = await tx
        .select({ id: volumeSnapshots.id })
        .from(volumeSnapshots)
        .where(eq(volumeSnapshots.volumeId, row.id));
      await tx.delete(volumes).where(eq(volumes.id, row.id));
      return { ...row, snapshotIds: snapshots.map((s) => s.id) };
    });
  }

  private listing() {
    return this.db
      .select({ ...getTableColumns(volumes), spaceName: spaces.name, cellName: cells.name })
      .from(volumes)
      .innerJoin(spaces, eq(spaces.id, volumes.spaceId))
      .leftJoin(cells, eq(cells.id, volumes.cellId))
      .$dynamic();
  }

  private byName(name: string) {
    return and(eq(volumes.tenantId, this.tenantId), eq(volumes.name, name));
  }
}

/** "mounted by app web; held by web/0 (RUNNING on c1)". */
function describeUsers(users: VolumeUsers): string {
  const parts: string[] = [];
  if (users.apps.length > 0) parts.push(`mounted by app ${users.apps.join(", ")}`);
  if (users.instances.length > 0) {
    const held = users.instances.map(
      (i) => `${i.app}/${i.index} (${i.state}${i.cell === null ? "" : ` on ${i.cell}`})`,
    );
    parts.push(`held by instance ${held.join(", ")}`);
  }
  return `${parts.join("; ")}; remove it from the apps (or delete them) first`;
}
