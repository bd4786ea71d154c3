import { type Database, schema } from "@grove/db";
import { and, asc, eq, gt } from "drizzle-orm";
import { Conflict, NotFound } from "../errors";
import { isUniqueViolation } from "./pg-errors";

const { spaces } = schema;
export type SpaceRow = typeof spaces.$inferSelect;

/** The space every tenant has; existing apps were moved into it by migration. */
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

  /** A space by name (the `default` space is made on first use); `NotFound` otherwise. */
  async get(name: string): Promise<SpaceRow> {
    if (name === DEFAULT_SPACE) {
      await this.db
        .insert(spaces)
        .values({ tenantId: this.tenantId, name })
        .onConflictDoNothing({ target: [spaces.tenantId, spaces.name] });
    }
    const [row] = await this.db
      .select()
      .from(spaces)
      .where(and(eq(spaces.tenantId, this.tenantId), eq(spaces.name, name)));
    if (!row) throw new NotFound(`no space ${name}`);
    return row;
  }

  /** Spaces ordered by name, after `afterName`. */
  list(limit: number, afterName?: string): Promise<SpaceRow[]> {
    const after = afterName === undefined ? undefined : gt(spaces.name, afterName);
    return this.db
      .select()
      .from(spaces)
      .where(and(eq(spaces.tenantId, this.tenantId), after))
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
