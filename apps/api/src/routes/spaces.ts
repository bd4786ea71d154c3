import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppName } from "../apps/schemas";
import { accessOf, guard } from "../auth/access";
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
import { type SpaceRoleListing, TenantSpaceRoles } from "../repo/space-roles";
import type { SpaceRow } from "../repo/spaces";
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
  ...guard("tenant_admin"),
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
  ...guard("member"),
  method: "get",
  path: "/v1/spaces",
  tags: ["spaces"],
  summary: "List the tenant's spaces by name",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(SpaceView), "a page of spaces"), ...commonProblems },
});

const showQuota = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/spaces/{name}/quota",
  tags: ["spaces", "quotas"],
  summary: "A space's quota, each limit beside the space's usage",
  security: bearerSecurity,
  request: { params: SpaceParam },
  responses: { 200: json(QuotaView, "the quota, with its ETag"), ...commonProblems },
});

const updateQuota = createRoute({
  ...guard("tenant_admin"),
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

export const SpaceRoleView = z
  .object({
    token_id: z.string(),
    token_name: z.string(),
    role: z.enum(["developer", "viewer"]),
    created_at: z.string(),
  })
  .openapi("SpaceRole");
const spaceRoleView = (row: SpaceRoleListing): z.output<typeof SpaceRoleView> => ({
  token_id: row.tokenId,
  token_name: row.tokenName,
  role: row.role,
  created_at: row.createdAt.toISOString(),
});
const RoleParams = SpaceParam.extend({
  token: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: "token", in: "path" }, description: "the developer token's name or id" }),
});

const listRoles = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/spaces/{name}/roles",
  tags: ["spaces"],
  summary: "Who has which role in a space (developer tokens; tenant admins may do everything anyway)",
  security: bearerSecurity,
  request: { params: SpaceParam },
  responses: {
    200: json(z.object({ items: z.array(SpaceRoleView) }), "the space's roles"),
    ...commonProblems,
  },
});

const setRole = createRoute({
  ...guard("tenant_admin"),
  method: "put",
  path: "/v1/spaces/{name}/roles/{token}",
  tags: ["spaces"],
  summary: "Give a developer token a role in a space: developer (read and change) or viewer (read)",
  description: "Replaces the role the token had in the space. Takes effect on the token's next request.",
  security: bearerSecurity,
  request: {
    params: RoleParams,
    body: {
      content: {
        "application/json": {
          schema: z
            .object({ role: z.enum(["developer", "viewer"]) })
            .strict()
            .openapi("SetSpaceRole"),
        },
      },
      required: true,
    },
  },
  responses: { 200: json(SpaceRoleView, "the role"), ...commonProblems, ...conflictProblem },
});

const unsetRole = createRoute({
  ...guard("tenant_admin"),
  method: "delete",
  path: "/v1/spaces/{name}/roles/{token}",
  tags: ["spaces"],
  summary:
    "Take a developer token's role in a space away: from its next request it sees nothing of the space",
  security: bearerSecurity,
  request: { params: RoleParams },
  responses: { 204: { description: "removed" }, ...commonProblems, ...conflictProblem },
});

/** `/v1/spaces`, `/v1/spaces/{name}/quota` and `/v1/spaces/{name}/roles`. */
export function registerSpaceRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const quotaOf = async (c: Context<ApiEnv>, name: string) => {
    const access = await accessOf(c, deps.db);
    const space = await access.space(name);
    const tenant = await tenantById(deps.db, access.tenantId);
    const quota = new Quota(deps.db, {
      kind: "space",
      tenantId: tenant.id,
      spaceId: space.id,
      spaceName: space.name,
    });
    return { quota, owner: { tenant: tenant.name, space: space.name } };
  };

  app.openapi(create, async (c) => {
    const row = await (await accessOf(c, deps.db)).spaces.create(c.req.valid("json").name);
    c.header("Location", `/v1/spaces/${row.name}`);
    return c.json(spaceView(row), 201);
  });

  app.openapi(list, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const access = await accessOf(c, deps.db);
    const rows = await access.spaces.list(limit + 1, after, access.visibleSpaceIds);
    const page = paginate(rows, limit, (row) => [row.name]);
    return c.json({ items: page.items.map(spaceView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(showQuota, async (c) => {
    const { quota, owner } = await quotaOf(c, c.req.valid("param").name);
    const shown = await quota.show();
    c.header("ETag", quota.etag(shown.quota.version));
    return c.json(quotaView(owner, shown.quota, shown.usage), 200);
  });

  app.openapi(updateQuota, async (c) => {
    const { quota, owner } = await quotaOf(c, c.req.valid("param").name);
    const row = await quota.set(toLimitChanges(c.req.valid("json")), c.req.valid("header")["if-match"]);
    c.header("ETag", quota.etag(row.version));
    return c.json(quotaView(owner, row, await quota.usage()), 200);
  });

  const rolesOf = async (c: Context<ApiEnv>, name: string) => {
    const access = await accessOf(c, deps.db);
    const space = await access.space(name);
    return { space, roles: new TenantSpaceRoles(deps.db, access.tenantId) };
  };

  app.openapi(listRoles, async (c) => {
    const { space, roles } = await rolesOf(c, c.req.valid("param").name);
    return c.json({ items: (await roles.list(space.id)).map(spaceRoleView) }, 200);
  });

  app.openapi(setRole, async (c) => {
    const { name, token } = c.req.valid("param");
    const { space, roles } = await rolesOf(c, name);
    const row = await roles.set(space.id, token, c.req.valid("json").role);
    c.get("log").info({ space: space.id, grantee: row.tokenId, role: row.role }, "space role set");
    return c.json(spaceRoleView(row), 200);
  });

  app.openapi(unsetRole, async (c) => {
    const { name, token } = c.req.valid("param");
    const { space, roles } = await rolesOf(c, name);
    await roles.unset(space.id, token);
    c.get("log").info({ space: space.id, grantee: token }, "space role removed");
    return c.body(null, 204);
  });
}
