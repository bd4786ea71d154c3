import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { accessOf, guard, visibleTenant } from "../auth/access";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, IfMatchHeader, json, preconditionProblem } from "../http/openapi";
import { QuotaChangesBody, QuotaView, quotaView, toLimitChanges } from "../quotas/schemas";
import { Quota } from "../repo/quotas";
import { type TenantRow, tenantById, tenantByName } from "../repo/tenants";
import type { RouteDeps } from "./deps";

const TenantParam = z.object({ name: z.string().openapi({ param: { name: "name", in: "path" } }) });

const showOwn = createRoute({
  ...guard("member"),
  method: "get",
  path: "/v1/quota",
  tags: ["quotas"],
  summary: "The quota of the tenant acted in, each limit beside its usage",
  security: bearerSecurity,
  responses: { 200: json(QuotaView, "the quota, with its ETag"), ...commonProblems },
});

const show = createRoute({
  ...guard("member"),
  method: "get",
  path: "/v1/tenants/{name}/quota",
  tags: ["quotas"],
  summary: "A tenant's quota, each limit beside its usage (operators; members see their own)",
  security: bearerSecurity,
  request: { params: TenantParam },
  responses: { 200: json(QuotaView, "the quota, with its ETag"), ...commonProblems },
});

const update = createRoute({
  ...guard("operator"),
  method: "patch",
  path: "/v1/tenants/{name}/quota",
  tags: ["quotas"],
  summary:
    "Change a tenant's quota (operators); lowering it below usage stops nothing, it only blocks growth",
  security: bearerSecurity,
  request: {
    params: TenantParam,
    headers: IfMatchHeader,
    body: { content: { "application/json": { schema: QuotaChangesBody } }, required: true },
  },
  responses: { 200: json(QuotaView, "the quota"), ...commonProblems, ...preconditionProblem },
});

/** `/v1/quota` and `/v1/tenants/{name}/quota`. */
export function registerQuotaRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const respond = async (c: Context<ApiEnv>, tenant: TenantRow) => {
    const scope = new Quota(deps.db, { kind: "tenant", tenantId: tenant.id });
    const { quota, usage } = await scope.show();
    c.header("ETag", scope.etag(quota.version));
    return quotaView({ tenant: tenant.name }, quota, usage);
  };

  app.openapi(showOwn, async (c) => {
    const tenant = await tenantById(deps.db, (await accessOf(c, deps.db)).tenantId);
    return c.json(await respond(c, tenant), 200);
  });

  app.openapi(show, async (c) => {
    const tenant = await visibleTenant(c, deps.db, c.req.valid("param").name);
    return c.json(await respond(c, tenant), 200);
  });

  app.openapi(update, async (c) => {
    const tenant = await tenantByName(deps.db, c.req.valid("param").name);
    const quota = new Quota(deps.db, { kind: "tenant", tenantId: tenant.id });
    const row = await quota.set(toLimitChanges(c.req.valid("json")), c.req.valid("header")["if-match"]);
    c.header("ETag", quota.etag(row.version));
    return c.json(quotaView({ tenant: tenant.name }, row, await quota.usage()), 200);
  });
}
