import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { toProtocolHealthCheck } from "../apps/health-check";
import {
  AppName,
  AppView,
  appView,
  CreateAppBody,
  UpdateAppBody,
  type VolumeMountBody,
} from "../apps/schemas";
import { tenantIdOf } from "../auth/tenant-scope";
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
import { type AppChanges, appEtag, TenantApps } from "../repo/apps";
import { appRoutesToWithdraw } from "../repo/routes";
import { TenantSpaces } from "../repo/spaces";
import { withdrawRoutes } from "../routing/withdraw-routes";
import type { RequestedMount } from "../volumes/mounts";
import type { RouteDeps } from "./deps";

const NameParam = z.object({ name: AppName.openapi({ param: { name: "name", in: "path" } }) });

const create = createRoute({
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
  method: "get",
  path: "/v1/apps",
  tags: ["apps"],
  summary: "List the tenant's apps by name (of one space with ?space=)",
  security: bearerSecurity,
  request: { query: PageQuery.extend({ space: AppName.optional() }) },
  responses: { 200: json(pageOf(AppView), "a page of apps"), ...commonProblems },
});

const show = createRoute({
  method: "get",
  path: "/v1/apps/{name}",
  tags: ["apps"],
  summary: "Show an app",
  security: bearerSecurity,
  request: { params: NameParam },
  responses: { 200: json(AppView, "the app, with its ETag"), ...commonProblems },
});

const update = createRoute({
  method: "patch",
  path: "/v1/apps/{name}",
  tags: ["apps"],
  summary: "Change an app; changes of what runs make a new revision, scaling does not",
  security: bearerSecurity,
  request: {
    params: NameParam,
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
  method: "delete",
  path: "/v1/apps/{name}",
  tags: ["apps"],
  summary: "Delete an app",
  security: bearerSecurity,
  request: { params: NameParam, headers: IfMatchHeader },
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

/** `/v1/apps` CRUD. */
export function registerAppRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const appsOf = async (c: Parameters<typeof tenantIdOf>[0]) =>
    new TenantApps(deps.db, await tenantIdOf(c, deps.db));

  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const tenantId = await tenantIdOf(c, deps.db);
    const space = await new TenantSpaces(deps.db, tenantId).get(body.space);
    const row = await new TenantApps(deps.db, tenantId).create(
      {
        name: body.name,
        stack: body.stack,
        command: body.command,
        env: body.env,
        instances: body.instances,
        memoryMb: body.memory_mb,
        diskMb: body.disk_mb,
        ports: body.ports,
        healthCheck: toProtocolHealthCheck(body.health_check),
      },
      space,
      c.get("principal").tokenId,
      toRequestedMounts(body.volumes),
    );
    deps.desiredStateChanged();
    c.header("ETag", appEtag(row));
    c.header("Location", `/v1/apps/${row.name}`);
    return c.json(appView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor, space } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const tenantId = await tenantIdOf(c, deps.db);
    const spaceId =
      space === undefined ? undefined : (await new TenantSpaces(deps.db, tenantId).get(space)).id;
    const rows = await new TenantApps(deps.db, tenantId).list(limit + 1, after, spaceId);
    const page = paginate(rows, limit, (row) => [row.name]);
    return c.json({ items: page.items.map(appView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(show, async (c) => {
    const row = await (await appsOf(c)).get(c.req.valid("param").name);
    c.header("ETag", appEtag(row));
    return c.json(appView(row), 200);
  });

  app.openapi(update, async (c) => {
    const body = c.req.valid("json");
    const changes = toChanges(body);
    const onlyScale = Object.keys(body).every((field) => field === "instances");
    const apps = await appsOf(c);
    const row = await apps.update(c.req.valid("param").name, changes, {
      ifMatch: c.req.valid("header")["if-match"],
      actor: c.get("principal").tokenId,
      event: onlyScale ? "scaled" : "updated",
    });
    if (changes.instances !== undefined) {
      // the instances scaled away stop serving before the answer
      const unwanted = await appRoutesToWithdraw(deps.db, apps.tenantId, row.id, "unwanted");
      await withdrawRoutes(deps.nc, unwanted, deps.config.GROVE_DOMAIN);
    }
    deps.desiredStateChanged();
    c.header("ETag", appEtag(row));
    return c.json(appView(row), 200);
  });

  app.openapi(remove, async (c) => {
    const apps = await appsOf(c);
    const name = c.req.valid("param").name;
    // the instance rows go with the app, so what routes they hold is read first
    const routes = await appRoutesToWithdraw(deps.db, apps.tenantId, (await apps.get(name)).id, "all");
    await apps.delete(name, {
      ifMatch: c.req.valid("header")["if-match"],
      actor: c.get("principal").tokenId,
    });
    await withdrawRoutes(deps.nc, routes, deps.config.GROVE_DOMAIN);
    deps.desiredStateChanged();
    return c.body(null, 204);
  });
}
