import { connectDatabase, migrateDatabase } from "@grove/db";
import type { TestPostgres } from "@grove/testkit";
import postgres from "postgres";
import { onTestFinished } from "vitest";

/**
 * A database of its own (a new name each time, so a retried test starts clean) holding tenant
 * `acme`, its `default` space and app `web` with 2 instances wanted; closed when the test ends.
 * `cell()` adds cell `cell-a` (10.9.0.2).
 */
export async function appDatabase(pg: TestPostgres, prefix: string) {
  const url = await pg.createDatabase(`${prefix}_${Date.now()}`);
  await migrateDatabase(url);
  const database = connectDatabase(url, { max: 2 });
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  onTestFinished(async () => {
    await sql.end();
    await database.close();
  });
  const [tenant] = await sql`insert into tenants (name) values ('acme') returning id`;
  const [space] =
    await sql`insert into spaces (tenant_id, name) values (${tenant?.id}, 'default') returning id`;
  const [app] = await sql`
    insert into apps (tenant_id, space_id, name, stack, command, instances, memory_mb, disk_mb, health_check)
    values (${tenant?.id}, ${space?.id}, 'web', 'busybox', 'httpd', 2, 64, 64, '{}') returning id`;
  const cell = async () => {
    const [row] = await sql`
      insert into cells (name, address, memory_mb, disk_mb, max_containers)
      values ('cell-a', '10.9.0.2', 1024, 1024, 10) returning id`;
    return row as { id: string };
  };
  return { url, db: database.db, sql, tenantId: tenant?.id as string, appId: app?.id as string, cell };
}
