import { createRoute, type OpenAPIHono, type z } from "@hono/zod-openapi";
import { toProtocolHealthCheck } from "../apps/health-check";
import { resolvePushImage } from "../apps/pushed-image";
import {
  AppListItem,
  AppName,
  AppNameParam,
  AppSpaceQuery,
  AppView,
  CreateAppBody,
  type ImageBody,
  UpdateAppBody,
  type VolumeMountBody,
} from "../apps/schemas";
import { SecretBox } from "../apps/secret-box";
import { accessOf, guard } from "../auth/access";
import type { ApiEnv } from "../http/env";
import {
  appChangeProblem,
  bearerSecurity,
  commonProblems,
  conflictProblem,
  IdempotencyHeader,
  IfMatchHeader,
  json,
  preconditionProblem,
} from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { type AppChanges, appEtag } from "../repo/apps";
import { TenantInstances } from "../repo/instances";
import { appRoutesToWithdraw, type InstanceRoute } from "../repo/routes";
import { withdrawRoutes } from "../routing/withdraw-routes";
import type { RequestedMount } from "../volumes/mounts";
import type { RouteDeps } from "./deps";

const create = createRoute({
  ...guard("space"),
  method: "post",
  path: "/v1/apps",
  tags: ["apps"],
  summary: "Create an app (desired state, revision 1)",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: { content: { "application/json": { schema: CreateAppBody } }, required: true },
  },
  responses: { 201: json(AppView, "created"), ...commonProblems, ...conflictProblem, ...appChangeProblem },
});

const list = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/apps",
  tags: ["apps"],
  summary: "List the apps of the spaces you see, by name (of one space with ?space=)",
  security: bearerSecurity,
  request: { query: PageQuery.extend({ space: AppName.optional() }) },
  responses: {
    200: json(pageOf(AppListItem), "a page of apps, each with its running instances"),
    ...commonProblems,
  },
});

const show = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/apps/{name}",
  tags: ["apps"],
  summary: "Show an app",
  security: bearerSecurity,
  request: { params: AppNameParam, query: AppSpaceQuery },
  responses: { 200: json(AppView, "the app, with its ETag"), ...commonProblems },
});

const update = createRoute({
  ...guard("space"),
  method: "patch",
  path: "/v1/apps/{name}",
  tags: ["apps"],
  summary: "Change an app; changes of what runs make a new revision, scaling does not",
  security: bearerSecurity,
  request: {
    params: AppNameParam,
    query: AppSpaceQuery,
    headers: IfMatchHeader,
    body: { content: { "application/json": { schema: UpdateAppBody } }, required: true },
  },
  responses: {
    200: json(AppView, "the app"),
    ...commonProblems,
    ...preconditionProblem,
    ...appChangeProblem,
  },
});

const remove = createRoute({
  ...guard("space"),
  method: "delete",
  path: "/v1/apps/{name}",
  tags: ["apps"],
  summary: "Delete an app",
  security: bearerSecurity,
  request: { params: AppNameParam, query: AppSpaceQuery, headers: IfMatchHeader },
  responses: { 204: { description: "deleted" }, ...commonProblems, ...preconditionProblem },
});

/** Maps an API update body to row changes. */
function toChanges(body: z.output<typeof UpdateAppBody>): AppChanges {
  return {
    stack: body.stack,
    command: body.command,
    env: body.env,
    instances: body.instances,
    memoryMb: body.memory_mb,
    diskMb: body.disk_mb,
    ports: body.ports,
    healthCheck: body.health_check && toProtocolHealthCheck(body.health_check),
    volumes: body.volumes && toRequestedMounts(body.volumes),
  };
}

function toRequestedMounts(mounts: z.output<typeof VolumeMountBody>[]): RequestedMount[] {
  return mounts.map((m) => ({ name: m.name, path: m.path, readOnly: m.read_only }));
}

/** `/v1/apps` CRUD, in the spaces the caller's roles reach. */
export function registerAppRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const box = SecretBox.fromAuthority(deps.authority);
  /** The image pinned by the digest its reference names now; credentials sealed (null: public). */
  const resolveImage = async (image: z.output<typeof ImageBody>, command: string | undefined) => {
    const credentials =
      image.username !== undefined ? { username: image.username, password: image.password ?? "" } : undefined;
    const pushed = await resolvePushImage(image.ref, credentials, command);
    return {
      ...pushed,
      plainCredentials: credentials,
      credentials: credentials ? box.seal(credentials) : null,
    };
  };

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const access = await accessOf(c, deps.db);
    const space = await access.space(body.space);
    const pushed = body.image && (await resolveImage(body.image, body.command));
    const row = await access.apps.create(
      {
        name: body.name,
        stack: body.stack,
        command: pushed?.command ?? (body.command as string),
        env: body.env,
        instances: body.instances,
        memoryMb: body.memory_mb,
        diskMb: body.disk_mb,
        ports: body.ports ?? [pushed?.port ?? 8080],
        healthCheck: toProtocolHealthCheck(body.health_check),
        image: pushed?.image ?? null,
        imageCredentials: pushed?.credentials ?? null,
      },
      space,
      c.get("principal").tokenId,
      toRequestedMounts(body.volumes),
    );
    deps.desiredStateChanged();
    c.header("ETag", appEtag(row));
    c.header("Location", appLocation(row.name, row.spaceName));
    return c.json(access.appView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor, space } = c.req.valid("query");
    const after = cursor === undefined ? undefined : decodeCursor(cursor, 2).map(String);
    const access = await accessOf(c, deps.db);
    const spaceIds = space === undefined ? access.visibleSpaceIds : [(await access.space(space)).id];
    const rows = await access.apps.list(limit + 1, after as [string, string] | undefined, spaceIds);
    const page = paginate(rows, limit, (row) => [row.name, row.spaceId]);
    const running = await new TenantInstances(deps.db, access.tenantId).runningOf(
      page.items.map((row) => row.id),
    );
    return c.json(
      {
        items: page.items.map((row) => ({
          ...access.appView(row),
          running_instances: running.get(row.id) ?? 0,
        })),
        next_cursor: page.next_cursor,
      },
      200,
    );
  });

  app.openapi(show, async (c) => {
    const access = await accessOf(c, deps.db);
    const row = await access.app(c.req.valid("param").name, c.req.valid("query").space);
    c.header("ETag", appEtag(row));
    return c.json(access.appView(row), 200);
  });

  app.openapi(update, async (c) => {
    const body = c.req.valid("json");
    const changes = toChanges(body);
    const access = await accessOf(c, deps.db);
    const found = await access.app(c.req.valid("param").name, c.req.valid("query").space);
    if (body.image) {
      const pushed = await resolveImage(body.image, body.command);
      const sameCredentials =
        JSON.stringify(found.imageCredentials && box.open(found.imageCredentials)) ===
        JSON.stringify(pushed.plainCredentials ?? null);
      Object.assign(changes, {
        image: pushed.image,
        command: pushed.command,
        ...(sameCredentials ? {} : { imageCredentials: pushed.credentials }),
      });
      // the image's first exposed port is the app's port unless the change names ports
      if (body.ports === undefined && pushed.port !== undefined) changes.ports = [pushed.port];
    }
    const onlyScale = Object.keys(body).every((field) => field === "instances");
    let unwanted: InstanceRoute[] = [];
    const row = await access.apps.update(found, changes, {
      ifMatch: c.req.valid("header")["if-match"],
      actor: c.get("principal").tokenId,
      event: onlyScale ? "scaled" : "updated",
      // the routes of instances scaled away, read with the update (no round trip of its own)
      alongside:
        changes.instances === undefined
          ? undefined
          : async (tx, appId) => {
              unwanted = await appRoutesToWithdraw(tx, access.tenantId, appId, "unwanted");
            },
    });
    // the instances scaled away stop serving before the answer
    await withdrawRoutes(deps.nc, unwanted, deps.config.GROVE_DOMAIN);
    deps.desiredStateChanged();
    c.header("ETag", appEtag(row));
    return c.json(access.appView(row), 200);
  });

  app.openapi(remove, async (c) => {
    const access = await accessOf(c, deps.db);
    const found = await access.app(c.req.valid("param").name, c.req.valid("query").space);
    // the instance rows go with the app, so what routes they hold is read first
    const routes = await appRoutesToWithdraw(deps.db, access.tenantId, found.id, "all");
    await access.apps.delete(found, {
      ifMatch: c.req.valid("header")["if-match"],
      actor: c.get("principal").tokenId,
    });
    await withdrawRoutes(deps.nc, routes, deps.config.GROVE_DOMAIN);
    deps.desiredStateChanged();
    return c.body(null, 204);
  });
}

/** Where an app is: its name, and its space unless `default`. */
export function appLocation(name: string, space: string): string {
  return space === "default" ? `/v1/apps/${name}` : `/v1/apps/${name}?space=${space}`;
}
