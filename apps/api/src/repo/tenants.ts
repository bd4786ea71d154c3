import { type Database, schema } from "@grove/db";
import { asc, eq, gt, sql } from "drizzle-orm";
import { Conflict, NotFound } from "../errors";
import { isUniqueViolation } from "./pg-errors";
import { preparedPerDatabase } from "./prepared";
import { DEFAULT_SPACE } from "./spaces";

const { tenants, spaces } = schema;
export type TenantRow = typeof tenants.$inferSelect;

/** Creates a tenant with its `default` space; `Conflict` when the name is taken. */
export async function createTenant(db: Database, name: string): Promise<TenantRow> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx.insert(tenants).values({ name }).returning();
      const tenant = row as TenantRow;
      await tx.insert(spaces).values({ tenantId: tenant.id, name: DEFAULT_SPACE });
      return tenant;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new Conflict(`tenant ${name} already exists`);
    throw error;
  }
}

const tenantNamed = preparedPerDatabase((db) =>
  db
    .select()
    .from(tenants)
    .where(eq(tenants.name, sql.placeholder("name")))
    .prepare("grove_tenant_by_name"),
);

/** A tenant by name; `NotFound` otherwise. */
export async function tenantByName(db: Database, name: string): Promise<TenantRow> {
  const [row] = await tenantNamed(db).execute({ name });
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

/** Creates the tenant and its `default` space unless they exist (single-node mode's `default` tenant). */
export async function ensureTenant(db: Database, name: string): Promise<void> {
  await db.insert(tenants).values({ name }).onConflictDoNothing({ target: tenants.name });
  const [tenant] = await db.select({ id: tenants.id }).from(tenants).where(eq(tenants.name, name));
  if (!tenant) throw new NotFound(`no tenant ${name}`);
  await db
    .insert(spaces)
    .values({ tenantId: tenant.id, name: DEFAULT_SPACE })
    .onConflictDoNothing({ target: [spaces.tenantId, spaces.name] });
}

/** A tenant by id; `NotFound` otherwise. */
export async function tenantById(db: Database, id: string): Promise<TenantRow> {
  const [row] = await db.select().from(tenants).where(eq(tenants.id, id));
  if (!row) throw new NotFound("no such tenant");
  return row;
}
