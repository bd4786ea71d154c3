import { type Database, schema } from "@grove/db";
import { asc, eq, gt } from "drizzle-orm";
import { Conflict, NotFound } from "../errors";
import { isUniqueViolation } from "./pg-errors";

const { tenants } = schema;
export type TenantRow = typeof tenants.$inferSelect;

/** Creates a tenant; `Conflict` when the name is taken. */
export async function createTenant(db: Database, name: string): Promise<TenantRow> {
  try {
    const [row] = await db.insert(tenants).values({ name }).returning();
    return row as TenantRow;
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`tenant ${name} already exists`);
    throw error;
  }
}

/** A tenant by name; `NotFound` otherwise. */
export async function tenantByName(db: Database, name: string): Promise<TenantRow> {
  const [row] = await db.select().from(tenants).where(eq(tenants.name, name));
  if (!row) throw new NotFound(`no tenant ${name}`);
  return row;
}

/** Tenants ordered by name, after `afterName`, at most `limit`. */
export async function listTenants(db: Database, limit: number, afterName?: string): Promise<TenantRow[]> {
  return db
    .select()
    .from(tenants)
    .where(afterName === undefined ? undefined : gt(tenants.name, afterName))
    .orderBy(asc(tenants.name))
    .limit(limit);
}

/** Creates the tenant unless it exists (single-node mode's `default` tenant). */
export async function ensureTenant(db: Database, name: string): Promise<void> {
  await db.insert(tenants).values({ name }).onConflictDoNothing({ target: tenants.name });
}

/** A tenant by id; `NotFound` otherwise. */
export async function tenantById(db: Database, id: string): Promise<TenantRow> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw new NotFound("no such tenant");
  return row;
}
