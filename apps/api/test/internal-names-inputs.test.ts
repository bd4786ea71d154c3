import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { internalNameInputs } from "../src/repo/internal-names";
import { appDatabase } from "./app-database";

describeWith(["root", "postgres"], "internal name inputs", () => {
  it("gives each cell the tenants with a placed, starting, running or crashed instance on it, each once", async ({
    pg,
  }) => {
    const { db, sql, tenantId: acme, appId: web } = await appDatabase(pg, "internal_names_inputs");
    const [beta] = await sql`insert into tenants (name) values ('beta') returning id`;
    const [betaSpace] =
      await sql`insert into spaces (tenant_id, name) values (${beta?.id}, 'default') returning id`;
    const [api] = await sql`
      insert into apps (tenant_id, space_id, name, stack, command, instances, memory_mb, disk_mb, health_check)
      values (${beta?.id}, ${betaSpace?.id}, 'api', 'busybox', 'httpd', 2, 64, 64, '{}') returning id`;
    const cells = await sql<{ id: string; name: string }[]>`
      insert into cells (name, address, memory_mb, disk_mb, max_containers)
      select 'cell-' || c, '10.9.0.' || c, 1024, 1024, 10 from unnest(array['a', 'b', 'c', 'd']) c
      returning id, name`;
    const cell = new Map(cells.map((c) => [c.name, c.id]));
    const place = async (tenant: string, app: string, on: string | null, state: string, count = 1) =>
      sql`insert into instances (tenant_id, app_id, index, revision, cell_id, state)
        select ${tenant}, ${app}, i, 1, ${on}, ${state}::instance_state from generate_series(1, ${count}) i`;
    await place(acme, web, cell.get("cell-a") as string, "RUNNING", 3);
    await place(beta?.id, api?.id, cell.get("cell-a") as string, "STOPPED", 5);
    await place(acme, web, cell.get("cell-b") as string, "CRASHED");
    await place(beta?.id, api?.id, cell.get("cell-b") as string, "PLACED");
    await place(beta?.id, api?.id, cell.get("cell-b") as string, "STARTING", 2);
    // only stopped ones on cell c, none on cell d; unplaced ones are on no cell
    await place(acme, web, cell.get("cell-c") as string, "STOPPED", 4);
    await place(acme, web, null, "UNPLACED", 2);
    const { tenantsOnCells } = await internalNameInputs(db);
    const names = new Map(cells.map((c) => [c.id, c.name]));
    const tenants = new Map([
      [acme, "acme"],
      [beta?.id as string, "beta"],
    ]);
    expect(tenantsOnCells.map((h) => `${names.get(h.cellId)}:${tenants.get(h.tenantId)}`).sort()).toEqual([
      "cell-a:acme",
      "cell-b:acme",
      "cell-b:beta",
    ]);

    // many rows in every state: the same pairs as a distinct over all of them
    await sql`
      insert into instances (tenant_id, app_id, index, revision, cell_id, state)
      select t.tenant_id, t.app_id, i, 1,
        case when s = 'UNPLACED' then null else (string_to_array(${[...cell.values()].join(",")}, ',')::uuid[])[1 + i % 4] end, s
      from generate_series(1, 400) i,
        (values (${acme}::uuid, ${web}::uuid), (${beta?.id}::uuid, ${api?.id}::uuid)) t(tenant_id, app_id),
        lateral (select (array['UNPLACED', 'PLACED', 'STARTING', 'RUNNING', 'CRASHED', 'STOPPED']::instance_state[])
          [1 + (i * 7 + length(t.tenant_id::text)) % 6] as s) st
      where (i * 13) % 5 <> 0 or t.tenant_id = ${acme}`;
    const expected = await sql<{ cell_id: string; tenant_id: string }[]>`
      select distinct cell_id, tenant_id from instances
      where cell_id is not null and state in ('PLACED', 'STARTING', 'RUNNING', 'CRASHED')`;
    const pairs = (rows: { cellId: string; tenantId: string }[]) =>
      rows.map((r) => `${r.cellId}:${r.tenantId}`).sort();
    const again = await internalNameInputs(db);
    expect(pairs(again.tenantsOnCells)).toEqual(
      pairs(expected.map((r) => ({ cellId: r.cell_id, tenantId: r.tenant_id }))),
    );
    expect(new Set(pairs(again.tenantsOnCells)).size).toBe(again.tenantsOnCells.length);
  });
});
