import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppName } from "../apps/schemas";
import { tenantIdOf } from "../auth/tenant-scope";
import { Forbidden } from "../errors";
import type { ApiEnv } from "../http/env";
import {
  bearerSecurity,
  commonProblems,
  conflictProblem,
  IdempotencyHeader,
  IfMatchHeader,
  json,
  preconditionProblem,
} from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { QuotaChangesBody, QuotaView, quotaView, toLimitChanges } from "../quotas/schemas";
import { Quota } from "../repo/quotas";
import { type SpaceRow, TenantSpaces } from "../repo/spaces";
import { tenantById } from "../repo/tenants";
import type { RouteDeps } from "./deps";

export const SpaceView = z
  .object({ id: z.string(), name: z.string(), created_at: z.string() })
  .openapi("Space");
const spaceView = (row: SpaceRow) => ({
  id: row.id,
  name: row.name,
  created_at: row.createdAt.toISOString(),
});
const SpaceParam = z.object({ name: AppName.openapi({ param: { name: "name", in: "path" } }) });

const create = createRoute({
  method: "post",
  path: "/v1/spaces",
  tags: ["spaces"],
  summary: "Create a space in the tenant (tenant admins, operators)",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: {
      content: { "application/json": { schema: z.object({ name: AppName }).strict() } },
      required: true,
    },
  },
  responses: { 201: json(SpaceView, "created"), ...commonProblems, ...conflictProblem },
});

const list = createRoute({
  method: "get",
  path: "/v1/spaces",
  tags: ["spaces"],
  summary: "List the tenant's spaces by name",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(SpaceView), "a page of spaces"), ...commonProblems },
});

const showQuota = createRoute({
  method: "get",
  path: "/v1/spaces/{name}/quota",
  tags: ["spaces", "quotas"],
  summary: "A space's quota, each limit beside the space's usage",
  security: bearerSecurity,
  request: { params: SpaceParam },
  responses: { 200: json(QuotaView, "the quota, with its ETag"), ...commonProblems },
});

const updateQuota = createRoute({
  method: "patch",
  path: "/v1/spaces/{name}/quota",
  tags: ["spaces", "quotas"],
  summary: "Change a space's quota (tenant admins, operators); the tenant's quota binds as well",
  security: bearerSecurity,
  request: {
    params: SpaceParam,
    headers: IfMatchHeader,
    body: { content: { "application/json": { schema: QuotaChangesBody } }, required: true },
  },
  responses: { 200: json(QuotaView, "the quota"), ...commonProblems, ...preconditionProblem },
});

/** `/v1/spaces` and `/v1/spaces/{name}/quota`. */
export function registerSpaceRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const spacesOf = async (c: Context<ApiEnv>) => new TenantSpaces(deps.db, await tenantIdOf(c, deps.db));
  const requireAdmin = (c: Context<ApiEnv>) => {
    if (c.get("principal").role === "developer")
      throw new Forbidden("this needs a tenant admin or operator token");
  };
  const quotaOf = async (c: Context<ApiEnv>, name: string) => {
    const spaces = await spacesOf(c);
    const space = await spaces.get(name);
    const tenant = await tenantById(deps.db, spaces.tenantId);
    const quota = new Quota(deps.db, {
      kind: "space",
      tenantId: tenant.id,
      spaceId: space.id,
      spaceName: space.name,
    });
    return { quota, owner: { tenant: tenant.name, space: space.name } };
  };

  app.openapi(create, async (c) => {
    requireAdmin(c);
    const row = await (await spacesOf(c)).create(c.req.valid("json").name);
    c.header("Location", `/v1/spaces/${row.name}`);
    return c.json(spaceView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const spaces = await spacesOf(c);
    await spaces.get("default");
    const page = paginate(await spaces.list(limit + 1, after), limit, (row) => [row.name]);
    return c.json({ items: page.items.map(spaceView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(showQuota, async (c) => {
    const { quota, owner } = await quotaOf(c, c.req.valid("param").name);
    const shown = await quota.show();
    c.header("ETag", quota.etag(shown.quota.version));
    return c.json(quotaView(owner, shown.quota, shown.usage), 200);
  });

  app.openapi(updateQuota, async (c) => {
    requireAdmin(c);
    const { quota, owner } = await quotaOf(c, c.req.valid("param").name);
    const row = await quota.set(toLimitChanges(c.req.valid("json")), c.req.valid("header")["if-match"]);
    c.header("ETag", quota.etag(row.version));
    return c.json(quotaView(owner, row, await quota.usage()), 200);
  });
}
