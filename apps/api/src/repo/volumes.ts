import { type Database, schema } from "@grove/db";
import { and, asc, eq, gt } from "drizzle-orm";
import { Conflict, NotFound } from "../errors";
import { isUniqueViolation } from "./pg-errors";

const { volumes, cells } = schema;
export type VolumeRow = typeof volumes.$inferSelect;
/** A volume with the name of the cell its data lives on (null until an instance made it). */
export type VolumeListing = VolumeRow & { cellName: string | null };

/** What a create sets. */
export type NewVolume = Pick<VolumeRow, "name" | "sizeMb" | "shared">;

/**
 * The volumes of one tenant. Every query filters by the tenant id given at construction, so code
 * holding a `TenantVolumes` cannot reach another tenant's volumes (they are simply not found).
 */
export class TenantVolumes {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Creates a volume; `Conflict` if the tenant already has one of that name. */
  async create(spec: NewVolume): Promise<VolumeListing> {
    try {
      const [row] = await this.db
        .insert(volumes)
        .values({ ...spec, tenantId: this.tenantId })
        .returning();
      return { ...(row as VolumeRow), cellName: null };
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`volume ${spec.name} already exists`);
      throw error;
    }
  }

  /** Volumes ordered by name, after `afterName`. */
  list(limit: number, afterName?: string): Promise<VolumeListing[]> {
    const after = afterName === undefined ? undefined : gt(volumes.name, afterName);
    return this.listing()
      .where(and(eq(volumes.tenantId, this.tenantId), after))
      .orderBy(asc(volumes.name))
      .limit(limit);
  }

  /** One volume by name; `NotFound` when it is not this tenant's. */
  async get(name: string): Promise<VolumeListing> {
    const [row] = await this.listing().where(this.byName(name));
    if (!row) throw new NotFound(`no volume ${name}`);
    return row;
  }

  /**
   * Deletes a volume; `NotFound` when it is not this tenant's. Freeing its space on the cell is
   * the agent's part (not wired yet: no instance mounts volumes so far).
   */
  async delete(name: string): Promise<VolumeRow> {
    const [row] = await this.db.delete(volumes).where(this.byName(name)).returning();
    if (!row) throw new NotFound(`no volume ${name}`);
    return row;
  }

  private listing() {
    return this.db
      .select({
        id: volumes.id,
        tenantId: volumes.tenantId,
        name: volumes.name,
        sizeMb: volumes.sizeMb,
        shared: volumes.shared,
        cellId: volumes.cellId,
        createdAt: volumes.createdAt,
        cellName: cells.name,
      })
      .from(volumes)
      .leftJoin(cells, eq(cells.id, volumes.cellId))
      .$dynamic();
  }

  private byName(name: string) {
    return and(eq(volumes.tenantId, this.tenantId), eq(volumes.name, name));
  }
}
