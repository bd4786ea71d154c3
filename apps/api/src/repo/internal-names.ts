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
    db.execute<{ cell_id: string; tenant_id: string }>(sql`
      select distinct cell_id, tenant_id from instances
      where cell_id is not null and state in ('PLACED', 'STARTING', 'RUNNING', 'CRASHED')`),
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
