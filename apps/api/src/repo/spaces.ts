import { type Database, schema } from "@grove/db";
import { and, asc, eq, gt, inArray } from "drizzle-orm";
import { Conflict, NotFound } from "../errors";
import { isUniqueViolation } from "./pg-errors";

const { spaces } = schema;
export type SpaceRow = typeof spaces.$inferSelect;

/**
 * The space every tenant has, made with the tenant (and by migration for older tenants); existing
 * apps were moved into it by migration.
 */
export const DEFAULT_SPACE = "default";

/** The spaces of one tenant; every query filters by the tenant id given at construction. */
export class TenantSpaces {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** Creates a space; `Conflict` when the name is taken. */
  async create(name: string): Promise<SpaceRow> {
    try {
      const [row] = await this.db.insert(spaces).values({ tenantId: this.tenantId, name }).returning();
      return row as SpaceRow;
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(`space ${name} already exists`);
      throw error;
    }
  }

  /** A space by name; `NotFound` otherwise. */
  async get(name: string): Promise<SpaceRow> {
    const [row] = await this.db
      .select()
      .from(spaces)
      .where(and(eq(spaces.tenantId, this.tenantId), eq(spaces.name, name)));
    if (!row) throw new NotFound(`no space ${name}`);
    return row;
  }

  /** Spaces ordered by name, after `afterName`, of the ids `only` when given (an empty list: none). */
  list(limit: number, afterName?: string, only?: string[]): Promise<SpaceRow[]> {
    if (only?.length === 0) return Promise.resolve([]);
    const after = afterName === undefined ? undefined : gt(spaces.name, afterName);
    return this.db
      .select()
      .from(spaces)
      .where(and(eq(spaces.tenantId, this.tenantId), after, only && inArray(spaces.id, only)))
      .orderBy(asc(spaces.name))
      .limit(limit);
  }

  /** Space names by id, for views of apps. */
  async namesById(): Promise<Map<string, string>> {
    const rows = await this.db
      .select({ id: spaces.id, name: spaces.name })
      .from(spaces)
      .where(eq(spaces.tenantId, this.tenantId));
    return new Map(rows.map((row) => [row.id, row.name]));
  }
}
