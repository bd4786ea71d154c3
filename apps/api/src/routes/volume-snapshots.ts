import { randomUUID } from "node:crypto";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { accessOf, guard } from "../auth/access";
import { Conflict, Unavailable } from "../errors";
import type { ApiEnv } from "../http/env";
import {
  bearerSecurity,
  commonProblems,
  conflictProblem,
  json,
  quotaProblem,
  unavailableProblem,
} from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { snapshotObject, TenantSnapshots } from "../repo/volume-snapshots";
import { TenantVolumes } from "../repo/volumes";
import {
  CreateSnapshotBody,
  RestoreBody,
  SnapshotView,
  snapshotView,
  VolumeName,
  VolumeView,
  volumeView,
} from "../volumes/schemas";
import { exportVolume, openVolumeData, VolumeTransferFailed } from "../volumes/transfer";
import type { RouteDeps } from "./deps";

const VolumeParam = z.object({ name: VolumeName.openapi({ param: { name: "name", in: "path" } }) });
const SnapshotParams = VolumeParam.extend({
  snapshot: VolumeName.openapi({ param: { name: "snapshot", in: "path" } }),
});

const create = createRoute({
  ...guard("space"),
  method: "post",
  path: "/v1/volumes/{name}/snapshots",
  tags: ["volumes"],
  summary:
    "Snapshot a volume: a point-in-time copy of its files (its filesystem frozen while read) in the cluster's object store",
  security: bearerSecurity,
  request: {
    params: VolumeParam,
    body: { content: { "application/json": { schema: CreateSnapshotBody } }, required: false },
  },
  responses: {
    201: json(SnapshotView, "stored"),
    ...commonProblems,
    ...conflictProblem,
    ...quotaProblem,
    ...unavailableProblem,
  },
});

const list = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/volumes/{name}/snapshots",
  tags: ["volumes"],
  summary: "List a volume's snapshots, by name",
  security: bearerSecurity,
  request: { params: VolumeParam, query: PageQuery },
  responses: { 200: json(pageOf(SnapshotView), "a page of snapshots"), ...commonProblems },
});

const remove = createRoute({
  ...guard("space"),
  method: "delete",
  path: "/v1/volumes/{name}/snapshots/{snapshot}",
  tags: ["volumes"],
  summary: "Delete a snapshot and its copy in the object store (refused while it is being restored)",
  security: bearerSecurity,
  request: { params: SnapshotParams },
  responses: { 204: { description: "deleted" }, ...commonProblems, ...conflictProblem },
});

const restore = createRoute({
  ...guard("space"),
  method: "post",
  path: "/v1/volumes/{name}/restore",
  tags: ["volumes"],
  summary:
    "Restore a volume from one of its snapshots, onto whichever cell its next instance lands on (refused while an instance holds it)",
  security: bearerSecurity,
  request: {
    params: VolumeParam,
    body: { content: { "application/json": { schema: RestoreBody } }, required: true },
  },
  responses: { 200: json(VolumeView, "the volume, restoring"), ...commonProblems, ...conflictProblem },
});

/** `/v1/volumes/{name}/snapshots` and `/restore`, with the volume's space access (a viewer lists). */
export function registerVolumeSnapshotRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const volumeOf = async (c: Context<ApiEnv>, name: string) => {
    const access = await accessOf(c, deps.db);
    const volumes = new TenantVolumes(deps.db, access.tenantId);
    const volume = await volumes.get(name);
    access.check({ id: volume.spaceId, name: volume.spaceName }, access.need, `volume ${name}`);
    return { volumes, volume, snapshots: new TenantSnapshots(deps.db, volumes) };
  };

  app.openapi(create, async (c) => {
    const { volume, snapshots } = await volumeOf(c, c.req.valid("param").name);
    const body = c.req.valid("json") ?? {};
    const name = body.name ?? defaultName();
    if (volume.state !== "ready" || volume.cellId === null)
      throw new Conflict(
        volume.cellId === null && volume.state === "ready"
          ? `volume ${volume.name} has no data yet: it is made where its first instance lands`
          : `volume ${volume.name} is ${volume.state}; snapshot it once it is ready`,
      );
    await snapshots.checkQuota(volume);
    const id = randomUUID();
    const store = await openVolumeData(deps.nc);
    const log = c.get("log").child({ volume: volume.name, snapshot: name, cellId: volume.cellId });
    let archive: { bytes: number; sha256: string };
    try {
      archive = await exportVolume(
        deps.nc,
        store,
        { cellId: volume.cellId, volumeId: volume.id, idle: false },
        snapshotObject(id),
      );
    } catch (error) {
      await store.delete(snapshotObject(id)).catch(() => undefined);
      if (error instanceof VolumeTransferFailed)
        throw new Unavailable(`volume ${volume.name} could not be read on its cell: ${error.message}`);
      throw error;
    }
    try {
      const row = await snapshots.record(volume, { id, name, ...archive });
      log.info({ bytes: archive.bytes }, "volume snapshot stored");
      c.header("Location", `/v1/volumes/${volume.name}/snapshots/${name}`);
      return c.json(snapshotView(row, volume.name), 201);
    } catch (error) {
      await store.delete(snapshotObject(id)).catch(() => undefined);
      throw error;
    }
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const { volume, snapshots } = await volumeOf(c, c.req.valid("param").name);
    const page = paginate(await snapshots.list(volume, limit + 1, after), limit, (row) => [row.name]);
    return c.json(
      { items: page.items.map((row) => snapshotView(row, volume.name)), next_cursor: page.next_cursor },
      200,
    );
  });

  app.openapi(remove, async (c) => {
    const params = c.req.valid("param");
    const { volume, snapshots } = await volumeOf(c, params.name);
    const row = await snapshots.delete(volume, params.snapshot);
    await (await openVolumeData(deps.nc)).delete(snapshotObject(row.id));
    c.get("log").info({ volume: volume.name, snapshot: row.name }, "volume snapshot deleted");
    return c.body(null, 204);
  });

  app.openapi(restore, async (c) => {
    const { volumes, volume, snapshots } = await volumeOf(c, c.req.valid("param").name);
    const { snapshot } = c.req.valid("json");
    await snapshots.restore(volume, snapshot);
    c.get("log").info({ volume: volume.name, snapshot }, "volume restore requested");
    // the leader copies it when an instance is placed; placement runs now
    deps.desiredStateChanged();
    return c.json(volumeView(await volumes.get(volume.name)), 200);
  });
}

/** `2026-12-06t11-59-42z`-like: a DNS label that sorts by time. */
function defaultName(): string {
  return new Date()
    .toISOString()
    .replace(/\.\d+Z$/, "z")
    .replace(/[:T]/g, (ch) => (ch === "T" ? "t" : "-"))
    .toLowerCase();
}
