import type { Database } from "@grove/db";
import { type SQL, sql } from "drizzle-orm";
import { uuidArray } from "../ids";
import type { Tx } from "./tx";

/**
 * Where the router reaches an instance: its cell's registered address and the first port the cell
 * mapped for it, with the names its route is made of. The address is the cell's as recorded at
 * registration, not one an event claims.
 */
export interface InstanceRoute {
  instanceId: string;
  appId: string;
  appName: string;
  spaceName: string;
  tenantName: string;
  host: string;
  port: number;
}

/** An instance the router should send traffic to: running, on a cell not lost, wanted by its app. */
const ROUTABLE = sql`(x.state = 'RUNNING' and c.state <> 'lost' and a.state = 'started' and x.index < a.instances)`;

/** A route as the statements here read it. */
type RouteRow = {
  id: string;
  app_id: string;
  app_name: string;
  space_name: string;
  tenant_name: string;
  host: string;
  port: number;
};

const toRoute = (r: RouteRow): InstanceRoute => ({
  instanceId: r.id,
  appId: r.app_id,
  appName: r.app_name,
  spaceName: r.space_name,
  tenantName: r.tenant_name,
  host: r.host,
  port: r.port,
});

async function instanceRoutes(db: Database | Tx, where: SQL): Promise<InstanceRoute[]> {
  const rows = await db.execute<RouteRow>(sql`
    select x.id, x.app_id, a.name as app_name, s.name as space_name, t.name as tenant_name,
      c.address as host,
      (x.ports->0->>'hostPort')::int as port
    from instances x
    join apps a on a.id = x.app_id
    join spaces s on s.id = a.space_id
    join tenants t on t.id = x.tenant_id
    join cells c on c.id = x.cell_id
    where jsonb_array_length(x.ports) > 0 and ${where}
    order by x.id`);
  return [...rows].map(toRoute);
}

/** Every routable instance of the cluster (the leader's route emitter; spans all tenants on purpose). */
export function routableInstances(db: Database | Tx): Promise<InstanceRoute[]> {
  return instanceRoutes(db, ROUTABLE);
}

/**
 * Instances whose routability or route may have changed since the snapshot xmin `since`: those
 * written from it on, and the RUNNING ones of apps written from it on or on `cells` (whose state or
 * address changed). Each comes with its route, or with `route: null` when it is not routable now,
 * all in one statement.
 */
export async function changedRoutes(
  tx: Tx,
  since: string,
  cells: readonly string[],
): Promise<{ instanceId: string; route: InstanceRoute | null }[]> {
  // the changed rows are read once, with what their routes are made of: the first branch reads
  // them through the written_by index already, where a second lookup by id scanned the table
  const columns = sql`x.id, x.app_id, x.tenant_id, x.cell_id, x.index, x.state,
    (x.ports->0->>'hostPort')::int as port`;
  const rows = await tx.execute<RouteRow & { routable: boolean | null }>(sql`
    select x.id, x.app_id, a.name as app_name, s.name as space_name, t.name as tenant_name,
      c.address as host, x.port,
      x.port is not null and ${ROUTABLE} as routable
    from (
      select ${columns} from instances x where x.written_by >= ${since}::xid8
      union
      select ${columns} from apps a join instances x on x.app_id = a.id
      where a.written_by >= ${since}::xid8 and x.state = 'RUNNING'
      union
      select ${columns} from instances x where x.cell_id = any(${uuidArray(cells)}::uuid[]) and x.state = 'RUNNING'
    ) x
    left join apps a on a.id = x.app_id
    left join spaces s on s.id = a.space_id
    left join tenants t on t.id = x.tenant_id
    left join cells c on c.id = x.cell_id`);
  // one snapshot: an instance has one row in it, so the union gives each id once
  return [...rows].map((r) => ({ instanceId: r.id, route: r.routable === true ? toRoute(r) : null }));
}

/** Each cell's state and address, by id (a change makes its instances' routes change). */
export async function cellEndpoints(tx: Tx): Promise<Map<string, string>> {
  const rows = await tx.execute<{ id: string; state: string; address: string }>(
    sql`select id, state, address from cells`,
  );
  return new Map([...rows].map((r) => [r.id, `${r.state} ${r.address}`]));
}

/** Whether every app of `appIds` still exists (a deleted app's instances leave no row to read). */
export async function appsExist(tx: Tx, appIds: readonly string[]): Promise<boolean> {
  if (appIds.length === 0) return true;
  const [row] = await tx.execute<{ n: number }>(
    sql`select count(*)::int as n from apps where id = any(${uuidArray(appIds)}::uuid[])`,
  );
  return (row as { n: number }).n === appIds.length;
}

/**
 * Instances that stopped being routable within `withinMs` (stopped, crashed, scaled away, on a
 * lost cell): a new leader withdraws their routes, in case the one before it could not.
 */
export function recentlyUnroutable(db: Database, withinMs: number): Promise<InstanceRoute[]> {
  return instanceRoutes(
    db,
    sql`not ${ROUTABLE} and x.since > now() - make_interval(secs => ${withinMs / 1000})`,
  );
}

/**
 * One tenant's app's running instances whose routes must go now: `all` of them (the app is being
 * deleted), or those the app no longer wants (stopped, scaled down).
 */
export function appRoutesToWithdraw(
  db: Database | Tx,
  tenantId: string,
  appId: string,
  scope: "all" | "unwanted",
): Promise<InstanceRoute[]> {
  return instanceRoutes(
    db,
    sql`x.tenant_id = ${tenantId} and x.app_id = ${appId} and x.state = 'RUNNING'
      ${scope === "unwanted" ? sql`and not ${ROUTABLE}` : sql``}`,
  );
}
