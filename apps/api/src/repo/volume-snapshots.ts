import { type Database, schema } from "@grove/db";
import { and, asc, eq, gt } from "drizzle-orm";
import { Conflict, NotFound, VolumeInUse } from "../errors";
import { askedByVolume } from "../quotas/check";
import { isUniqueViolation } from "./pg-errors";
import { Quota } from "./quotas";
import type { Tx } from "./tx";
import type { TenantVolumes, VolumeListing } from "./volumes";

const { cells, volumes, volumeSnapshots } = schema;
export type SnapshotRow = typeof volumeSnapshots.$inferSelect;

/** The store object holding a snapshot's archive. */
export const snapshotObject = (snapshotId: string) => `snapshot-${snapshotId}`;

/**
 * The snapshots of one tenant's volumes. Every query filters by the tenant id given at construction
 * (and the volume given, which `TenantVolumes` found in the same tenant). A snapshot counts its
 * volume's size against the tenant's and the space's `volume_mb` quotas while it exists.
 */
export class TenantSnapshots {
  constructor(
    private readonly db: Database,
    private readonly volumes: TenantVolumes,
  ) {}

  private get tenantId(): string {
    return this.volumes.tenantId;
  }

  /** Throws `QuotaExceeded` when another snapshot of `volume` would not fit (checked again on record). */
  async checkQuota(volume: VolumeListing): Promise<void> {
    await this.db.transaction((tx) => this.admit(tx, volume));
  }

  /** Records a snapshot whose archive is stored, admitted against the quotas; `Conflict` on a taken name. */
  async record(
    volume: VolumeListing,
    snapshot: Pick<SnapshotRow, "id" | "name" | "bytes" | "sha256">,
  ): Promise<SnapshotRow> {
    try {
      return await this.db.transaction(async (tx) => {
        await this.admit(tx, volume);
        const [row] = await tx
          .insert(volumeSnapshots)
          .values({ ...snapshot, tenantId: this.tenantId, volumeId: volume.id, sizeMb: volume.sizeMb })
          .returning();
        return row as SnapshotRow;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new Conflict(`volume ${volume.name} already has a snapshot ${snapshot.name}`);
      throw error;
    }
  }

  /** The snapshots of `volume` by name, after `afterName`. */
  list(volume: VolumeListing, limit: number, afterName?: string): Promise<SnapshotRow[]> {
    const after = afterName === undefined ? undefined : gt(volumeSnapshots.name, afterName);
    return this.db
      .select()
      .from(volumeSnapshots)
      .where(and(this.ofVolume(volume), after))
      .orderBy(asc(volumeSnapshots.name))
      .limit(limit);
  }

  /** One snapshot of `volume` by name; `NotFound` otherwise. */
  async get(volume: VolumeListing, name: string, q: Database | Tx = this.db): Promise<SnapshotRow> {
    const [row] = await q
      .select()
      .from(volumeSnapshots)
      .where(and(this.ofVolume(volume), eq(volumeSnapshots.name, name)));
    if (!row) throw new NotFound(`volume ${volume.name} has no snapshot ${name}`);
    return row;
  }

  /** Deletes a snapshot (its archive is the caller's to remove); refused while a restore from it is under way. */
  async delete(volume: VolumeListing, name: string): Promise<SnapshotRow> {
    return this.db.transaction(async (tx) => {
      const row = await this.get(volume, name, tx);
      const [restoring] = await tx
        .select({ name: volumes.name })
        .from(volumes)
        .where(and(eq(volumes.tenantId, this.tenantId), eq(volumes.sourceObject, snapshotObject(row.id))))
        .for("update");
      if (restoring)
        throw new Conflict(
          `snapshot ${name} is being restored into volume ${restoring.name}; delete it after`,
        );
      await tx.delete(volumeSnapshots).where(eq(volumeSnapshots.id, row.id));
      return row;
    });
  }

  /**
   * Makes `volume`'s data that of snapshot `name`: the volume leaves its cell and the snapshot is
   * copied onto the cell its next instance lands on (any cell), before that instance starts.
   * Refused while an instance holds the volume (stop or scale the apps to 0 first) or its data is moving.
   */
  async restore(volume: VolumeListing, name: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [locked] = await tx.select().from(volumes).where(eq(volumes.id, volume.id)).for("update");
      if (!locked) throw new NotFound(`no volume ${volume.name}`);
      const snapshot = await this.get(volume, name, tx);
      const users = await this.volumes.usersOf(volume.id, tx);
      if (users.instances.length > 0) {
        const held = users.instances.map((i) => `${i.app}/${i.index} (${i.state})`).join(", ");
        throw new VolumeInUse(
          `volume ${volume.name} is held by instance ${held}; stop its apps or scale them to 0, then restore`,
          users,
        );
      }
      // data still to be copied off a cell that was lost meanwhile will not come: a snapshot may replace it
      const [cell] = locked.cellId ? await tx.select().from(cells).where(eq(cells.id, locked.cellId)) : [];
      if (locked.state === "moving" && cell?.state !== "lost")
        throw new Conflict(`volume ${volume.name} is moving to another cell; restore once it is ready`);
      await tx
        .update(volumes)
        .set({ state: "restoring", sourceObject: snapshotObject(snapshot.id), cellId: null, reason: null })
        .where(eq(volumes.id, volume.id));
    });
  }

  private async admit(tx: Tx, volume: VolumeListing): Promise<void> {
    const tenantQuota = new Quota(this.db, { kind: "tenant", tenantId: this.tenantId });
    const spaceQuota = new Quota(this.db, {
      kind: "space",
      tenantId: this.tenantId,
      spaceId: volume.spaceId,
      spaceName: volume.spaceName,
    });
    const tenantRow = await tenantQuota.lock(tx);
    const spaceRow = await spaceQuota.lock(tx);
    const asked = { ...askedByVolume(volume.sizeMb), volumes: 0 };
    await tenantQuota.admitAsked(tx, tenantRow, asked);
    await spaceQuota.admitAsked(tx, spaceRow, asked);
  }

  private ofVolume(volume: VolumeListing) {
    return and(eq(volumeSnapshots.tenantId, this.tenantId), eq(volumeSnapshots.volumeId, volume.id));
  }
}
