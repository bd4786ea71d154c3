import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireOperator } from "../auth/principal";
import { generateApiToken } from "../auth/tokens";
import { Forbidden, Invalid, NotFound } from "../errors";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems, conflictProblem, IdempotencyHeader, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { createTenant, listTenants, type TenantRow, tenantByName } from "../repo/tenants";
import { insertApiToken } from "../repo/tokens";
import type { RouteDeps } from "./deps";

const TenantName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits, '-'")
  .openapi({ example: "acme" });
const TenantView = z.object({ id: z.string(), name: z.string(), created_at: z.string() }).openapi("Tenant");
const tenantView = (row: TenantRow) => ({
  id: row.id,
  name: row.name,
  created_at: row.createdAt.toISOString(),
});

const createTenantRoute = createRoute({
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
  method: "get",
  path: "/v1/tenants",
  tags: ["tenants"],
  summary: "List tenants (operators)",
  security: bearerSecurity,
  request: { query: PageQuery },
  responses: { 200: json(pageOf(TenantView), "a page of tenants"), ...commonProblems },
});

const showTenantRoute = createRoute({
  method: "get",
  path: "/v1/tenants/{name}",
  tags: ["tenants"],
  summary: "Show a tenant (operators; members see their own)",
  security: bearerSecurity,
  request: { params: z.object({ name: TenantName.openapi({ param: { name: "name", in: "path" } }) }) },
  responses: { 200: json(TenantView, "the tenant"), ...commonProblems },
});

const TokenBody = z
  .object({
    role: z.enum(["operator", "tenant_admin", "developer"]),
    tenant: TenantName.optional().openapi({ description: "required unless role is operator" }),
    name: z.string().max(200).default(""),
  })
  .strict()
  .openapi("CreateToken");
const TokenView = z
  .object({
    id: z.string(),
    role: z.string(),
    tenant: z.string().nullable(),
    name: z.string(),
    token: z.string().openapi({ description: "shown once; only its hash is stored" }),
    created_at: z.string(),
  })
  .openapi("Token");

const createTokenRoute = createRoute({
  method: "post",
  path: "/v1/tokens",
  tags: ["tokens"],
  summary: "Issue an API token (operators: any; tenant admins: in their tenant)",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: { content: { "application/json": { schema: TokenBody } }, required: true },
  },
  responses: { 201: json(TokenView, "the token, shown once"), ...commonProblems },
});

/** `/v1/tenants` and `/v1/tokens`. */
export function registerTenantRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(createTenantRoute, async (c) => {
    requireOperator(c.get("principal"));
    const row = await createTenant(deps.db, c.req.valid("json").name);
    c.header("Location", `/v1/tenants/${row.name}`);
    return c.json(tenantView(row), 201);
  });

  app.openapi(listTenantsRoute, async (c) => {
    requireOperator(c.get("principal"));
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : String(decodeCursor(cursor, 1)[0]);
    const page = paginate(await listTenants(deps.db, limit + 1, after), limit, (row) => [row.name]);
    return c.json({ items: page.items.map(tenantView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(showTenantRoute, async (c) => {
    const principal = c.get("principal");
    const row = await tenantByName(deps.db, c.req.valid("param").name);
    if (principal.role !== "operator" && principal.tenantId !== row.id)
      throw new NotFound(`no tenant ${row.name}`);
    return c.json(tenantView(row), 200);
  });

  app.openapi(createTokenRoute, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
    if (principal.role === "developer") throw new Forbidden("developers cannot issue tokens");
    if (body.role === "operator") {
      requireOperator(principal);
      if (body.tenant !== undefined) throw new Forbidden("operator tokens belong to no tenant");
    }
    let tenant: TenantRow | null = null;
    if (body.role !== "operator") {
      if (body.tenant === undefined) {
        throw new Invalid("tenant tokens name their tenant", [
          { field: "tenant", message: "required for this role" },
        ]);
      }
      tenant = await tenantByName(deps.db, body.tenant);
      if (principal.role !== "operator" && principal.tenantId !== tenant.id) {
        throw new NotFound(`no tenant ${body.tenant}`);
      }
    }
    const secret = generateApiToken();
    const row = await insertApiToken(deps.db, {
      secret,
      role: body.role,
      tenantId: tenant?.id ?? null,
      name: body.name,
    });
    return c.json(
      {
        id: row.id,
        role: body.role,
        tenant: tenant?.name ?? null,
        name: body.name,
        token: secret,
        created_at: row.createdAt.toISOString(),
      },
      201,
    );
  });
}
