import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { accessOf, guard } from "../auth/access";
import type { ApiEnv } from "../http/env";
import {
  bearerSecurity,
  commonProblems,
  conflictProblem,
  IdempotencyHeader,
  json,
  quotaProblem,
} from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { snapshotObject } from "../repo/volume-snapshots";
import { TenantVolumes } from "../repo/volumes";
import { removeVolumeOnCell } from "../volumes/remove-on-cell";
import { CreateVolumeBody, VolumeName, VolumeView, volumeView } from "../volumes/schemas";
import { openVolumeData } from "../volumes/transfer";
import type { RouteDeps } from "./deps";

const NameParam = z.object({ name: VolumeName.openapi({ param: { name: "name", in: "path" } }) });

const create = createRoute({
  ...guard("space"),
  method: "post",
  path: "/v1/volumes",
  tags: ["volumes"],
  summary: "Create a volume in a space of the tenant (made on a cell when an instance first mounts it)",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: { content: { "application/json": { schema: CreateVolumeBody } }, required: true },
  },
  responses: { 201: json(VolumeView, "created"), ...commonProblems, ...conflictProblem, ...quotaProblem },
});

const list = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/volumes",
  tags: ["volumes"],
  summary: "List the volumes of the spaces you see, by name (of one space with ?space=)",
  security: bearerSecurity,
  request: { query: PageQuery.extend({ space: VolumeName.optional() }) },
  responses: { 200: json(pageOf(VolumeView), "a page of volumes"), ...commonProblems },
});

const show = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/volumes/{name}",
  tags: ["volumes"],
  summary: "Show a volume (another tenant's is not found)",
  security: bearerSecurity,
  request: { params: NameParam },
  responses: { 200: json(VolumeView, "the volume"), ...commonProblems },
});

const remove = createRoute({
  ...guard("space"),
  method: "delete",
  path: "/v1/volumes/{name}",
  tags: ["volumes"],
  summary:
    "Delete a volume, its data and its snapshots, freeing its space on its cell (refused while in use)",
  security: bearerSecurity,
  request: { params: NameParam },
  responses: { 204: { description: "deleted" }, ...commonProblems, ...conflictProblem },
});

/**
 * `/v1/volumes`: create, list, show, delete, inside the tenant acted in and, like apps, in the
 * spaces the caller's roles reach (a viewer reads, a developer changes).
 */
export function registerVolumeRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  /** The named volume, checked against the caller's role in its space. */
  const volumeOf = async (c: Context<ApiEnv>, name: string) => {
    const access = await accessOf(c, deps.db);
    const volumes = new TenantVolumes(deps.db, access.tenantId);
    const row = await volumes.get(name);
    access.check({ id: row.spaceId, name: row.spaceName }, access.need, `volume ${name}`);
    return { volumes, row };
  };

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const access = await accessOf(c, deps.db);
    const space = await access.space(body.space);
    const row = await new TenantVolumes(deps.db, access.tenantId).create(
      { name: body.name, sizeMb: body.size_mb, shared: body.shared },
      space,
    );
    c.get("log").info({ volume: row.name, sizeMb: row.sizeMb }, "volume created");
    c.header("Location", `/v1/volumes/${row.name}`);
    return c.json(volumeView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor, space } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const access = await accessOf(c, deps.db);
    const spaceIds = space === undefined ? access.visibleSpaceIds : [(await access.space(space)).id];
    const rows = await new TenantVolumes(deps.db, access.tenantId).list(limit + 1, after, spaceIds);
    const page = paginate(rows, limit, (row) => [row.name]);
    return c.json({ items: page.items.map(volumeView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(show, async (c) => {
    return c.json(volumeView((await volumeOf(c, c.req.valid("param").name)).row), 200);
  });

  app.openapi(remove, async (c) => {
    const { volumes } = await volumeOf(c, c.req.valid("param").name);
    const row = await volumes.delete(c.req.valid("param").name);
    const log = c.get("log").child({ volume: row.name, volumeId: row.id, cellId: row.cellId });
    if (row.cellId !== null) {
      // the data goes with the answer when the cell can; otherwise the leader removes it later
      const outcome = await removeVolumeOnCell(deps.nc, row.cellId, row.id);
      if (!outcome.removed)
        log.warn({ reason: outcome.error }, "volume deleted; its cell removes the data later");
    }
    if (row.snapshotIds.length > 0) {
      const store = await openVolumeData(deps.nc);
      for (const id of row.snapshotIds) await store.delete(snapshotObject(id));
    }
    log.info({ snapshots: row.snapshotIds.length }, "volume deleted");
    return c.body(null, 204);
  });
}
