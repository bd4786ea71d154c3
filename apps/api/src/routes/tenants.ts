import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { guard, visibleTenant } from "../auth/access";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, conflictProblem, IdempotencyHeader, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { createTenant, listTenants, type TenantRow } from "../repo/tenants";
import type { RouteDeps } from "./deps";
import { TenantName } from "./tenant-name";

export const TenantView = z
  .object({ id: z.string(), name: z.string(), created_at: z.string() })
  .openapi("Tenant");
const tenantView = (row: TenantRow) => ({
  id: row.id,
  name: row.name,
  created_at: row.createdAt.toISOString(),
});

const createTenantRoute = createRoute({
  ...guard("operator"),
  method: "post",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "Create a tenant (operators)",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: {
      content: { "application/json": { schema: z.object({ name: TenantName }).strict() } },
      required: true,
    },
  },
  responses: { 201: json(TenantView, "created"), ...commonProblems, ...conflictProblem },
});

const listTenantsRoute = createRoute({
  ...guard("operator"),
  method: "get",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "List tenants (operators)",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(TenantView), "a page of tenants"), ...commonProblems },
});

const showTenantRoute = createRoute({
  ...guard("member"),
  method: "get",
  path: "/v1/tenants/{name}",
  tags: ["tenants"],
  summary: "Show a tenant (operators; members see their own)",
  security: bearerSecurity,
  request: { params: z.object({ name: TenantName.openapi({ param: { name: "name", in: "path" } }) }) },
  responses: { 200: json(TenantView, "the tenant"), ...commonProblems },
});

/** `/v1/tenants`. */
export function registerTenantRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(createTenantRoute, async (c) => {
    const row = await createTenant(deps.db, c.req.valid("json").name);
    // before its first app can log; failing here, the api's minutely check makes it
    await deps.logStreams.ensure(row.id).catch(() => {});
    c.header("Location", `/v1/tenants/${row.name}`);
    return c.json(tenantView(row), 201);
  });

  app.openapi(listTenantsRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const page = paginate(await listTenants(deps.db, limit + 1, after), limit, (row) => [row.name]);
    return c.json({ items: page.items.map(tenantView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(showTenantRoute, async (c) => {
    const row = await visibleTenant(c, deps.db, c.req.valid("param").name);
    return c.json(tenantView(row), 200);
  });
}
