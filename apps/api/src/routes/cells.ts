import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { guard } from "../auth/access";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, conflictProblem, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { pushAccountRevocations } from "../nats/account-revocations";
import { type CellRow, cellById, drainCell, listCells, removeCell, undrainCell } from "../repo/cells";
import { leasesOf } from "../repo/subnet-leases";
import type { RouteDeps } from "./deps";

const Resources = z.object({ memory_mb: z.int(), disk_mb: z.int(), containers: z.int() });
export const CellView = z
  .object({
    id: z.string(),
    name: z.string(),
    zone: z.string(),
    address: z.string(),
    state: z.enum(["active", "draining", "lost"]),
    capacity: Resources,
    available: Resources.nullable(),
    instances: z.int().nullable(),
    volumes: z.int().nullable().openapi({
      description: "volumes whose data is on the cell, as its last heartbeat said (a drain moves them)",
    }),
    tags: z.array(z.string()),
    stacks: z.array(z.string()),
    last_heartbeat_at: z.string().nullable(),
    created_at: z.string(),
    /** the container subnet leased to the cell from the cluster range, renewed by its heartbeats */
    subnet_lease: z.object({ subnet: z.string(), expires_at: z.string() }).nullable(),
  })
  .openapi("Cell");

type Lease = { subnet: string; expiresAt: Date };

interface Report {
  available?: { memoryMb: number; diskMb: number; containers: number };
  instances?: unknown[];
  volumes?: unknown[];
}

function cellView(row: CellRow, lease: Lease | undefined): z.output<typeof CellView> {
  const report = (row.lastReport ?? {}) as Report;
  return {
    id: row.id,
    name: row.name,
    zone: row.zone,
    address: row.address,
    state: row.state,
    capacity: { memory_mb: row.memoryMb, disk_mb: row.diskMb, containers: row.maxContainers },
    available: report.available
      ? {
          memory_mb: report.available.memoryMb,
          disk_mb: report.available.diskMb,
          containers: report.available.containers,
        }
      : null,
    instances: report.instances ? report.instances.length : null,
    volumes: report.volumes ? report.volumes.length : report.instances ? 0 : null,
    tags: row.tags,
    stacks: row.stacks,
    last_heartbeat_at: row.lastHeartbeatAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
    subnet_lease: lease ? { subnet: lease.subnet, expires_at: lease.expiresAt.toISOString() } : null,
  };
}

/** The view of one cell with its lease. */
async function viewOf(deps: RouteDeps, row: CellRow): Promise<z.output<typeof CellView>> {
  return cellView(row, (await leasesOf(deps.db, [row.id])).get(row.id));
}

const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

const list = createRoute({
  ...guard("operator"),
  method: "get",
  path: "/v1/cells",
  tags: ["cells"],
  summary: "List cells (operators)",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(CellView), "a page of cells"), ...commonProblems },
});

const show = createRoute({
  ...guard("operator"),
  method: "get",
  path: "/v1/cells/{id}",
  tags: ["cells"],
  summary: "Show a cell (operators)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: json(CellView, "the cell"), ...commonProblems },
});

const drain = createRoute({
  ...guard("operator"),
  method: "post",
  path: "/v1/cells/{id}/drain",
  tags: ["cells"],
  summary: "Drain a cell: no new placements, instances move elsewhere (operators)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: json(CellView, "the cell, draining"), ...commonProblems },
});

const undrain = createRoute({
  ...guard("operator"),
  method: "post",
  path: "/v1/cells/{id}/undrain",
  tags: ["cells"],
  summary: "Put a drained cell back in service; an active cell stays as it is (operators)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: json(CellView, "the cell, active"), ...commonProblems, ...conflictProblem },
});

const remove = createRoute({
  ...guard("operator"),
  method: "post",
  path: "/v1/cells/{id}/remove",
  tags: ["cells"],
  summary:
    "Remove a cell for good: it leaves scheduling at once (instances are replaced elsewhere) and its NATS user is revoked (operators)",
  security: bearerSecurity,
  request: { params: IdParam },
  responses: { 200: json(CellView, "the cell, lost"), ...commonProblems },
});

/** `/v1/cells`: list, show, drain, undrain, remove. All operator-only (join tokens: routes/join-tokens.ts). */
export function registerCellRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const page = paginate(await listCells(deps.db, limit + 1, after), limit, (row) => [row.name]);
    const leases = await leasesOf(
      deps.db,
      page.items.map((row) => row.id),
    );
    const items = page.items.map((row) => cellView(row, leases.get(row.id)));
    return c.json({ items, next_cursor: page.next_cursor }, 200);
  });

  app.openapi(show, async (c) => {
    return c.json(await viewOf(deps, await cellById(deps.db, c.req.valid("param").id)), 200);
  });

  app.openapi(drain, async (c) => {
    const cell = await drainCell(deps.db, c.req.valid("param").id);
    deps.desiredStateChanged();
    return c.json(await viewOf(deps, cell), 200);
  });

  app.openapi(undrain, async (c) => {
    const cell = await undrainCell(deps.db, c.req.valid("param").id);
    deps.desiredStateChanged();
    return c.json(await viewOf(deps, cell), 200);
  });

  app.openapi(remove, async (c) => {
    const cell = await removeCell(deps.db, c.req.valid("param").id);
    deps.desiredStateChanged();
    await pushAccountRevocations(deps);
    return c.json(await viewOf(deps, cell), 200);
  });
}
