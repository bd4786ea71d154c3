import type { Database } from "@grove/db";
import { sql } from "drizzle-orm";
import type { NamedAddress } from "../network/internal-names";

/**
 * What the leader cuts into name slices (spans all tenants on purpose): cells in service, the
 * tenants with an instance placed on each, and every instance an internal name resolves to —
 * running, on a cell not lost, of a started app that still wants its index (as routes), with an address.
 */
export async function internalNameInputs(db: Database): Promise<{
  cellIds: string[];
  tenantsOnCells: { cellId: string; tenantId: string }[];
  running: NamedAddress[];
}> {
  const [cells, hosted, running] = await Promise.all([
    db.execute<{ id: string }>(sql`select id from cells where state <> 'lost'`),
    // each cell and tenant by one probe of instances_hosted_idx, from the previous pair on (a skip
    // scan): a distinct over the rows read all 100,000 instances every round, sorting them on disk
    db.execute<{ cell_id: string; tenant_id: string }>(sql`
      with recursive hosted as (
        (select cell_id, tenant_id from instances
          where cell_id is not null and state in ('PLACED', 'STARTING', 'RUNNING', 'CRASHED')
          order by cell_id, tenant_id limit 1)
        union all
        select n.cell_id, n.tenant_id from hosted h cross join lateral (
          select x.cell_id, x.tenant_id from instances x
          where (x.cell_id, x.tenant_id) > (h.cell_id, h.tenant_id)
            and x.state in ('PLACED', 'STARTING', 'RUNNING', 'CRASHED')
          order by x.cell_id, x.tenant_id limit 1) n
      )
      select cell_id, tenant_id from hosted`),
    db.execute<{
      tenant_id: string;
      app_name: string;
      space_name: string;
      tenant_name: string;
      container_ip: string;
    }>(sql`
      select x.tenant_id, a.name as app_name, s.name as space_name, t.name as tenant_name, x.container_ip
      from instances x
      join apps a on a.id = x.app_id
      join spaces s on s.id = a.space_id
      join tenants t on t.id = x.tenant_id
      join cells c on c.id = x.cell_id
      where x.state = 'RUNNING' and c.state <> 'lost' and a.state = 'started' and x.index < a.instances
        and x.container_ip is not null`),
  ]);
  return {
    cellIds: [...cells].map((c) => c.id),
    tenantsOnCells: [...hosted].map((h) => ({ cellId: h.cell_id, tenantId: h.tenant_id })),
    running: [...running].map((r) => ({
      tenantId: r.tenant_id,
      appName: r.app_name,
      spaceName: r.space_name,
      tenantName: r.tenant_name,
      containerIp: r.container_ip,
    })),
  };
}
