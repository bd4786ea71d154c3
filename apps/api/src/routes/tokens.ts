import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { guard, visibleTenant } from "../auth/access";
import { requireOperator } from "../auth/principal";
import { generateApiToken } from "../auth/tokens";
import { Forbidden, Invalid } from "../errors";
import type { ApiEnv } from "../http/env";
import { withholdFromReplay } from "../http/idempotency";
import { bearerSecurity, commonProblems, conflictProblem, IdempotencyHeader, json } from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { createdCursorOf, createdKey } from "../repo/created-cursor";
import type { TenantRow } from "../repo/tenants";
import { type ApiTokenListing, insertApiToken, listApiTokens, revokeApiToken } from "../repo/tokens";
import type { RouteDeps } from "./deps";
import { TenantName } from "./tenant-name";

/** `expires_in_seconds` of a create body: from a minute to ten years. */
export const ExpiresInSeconds = z
  .int()
  .min(60)
  .max(10 * 366 * 24 * 3600)
  .openapi({ description: "seconds until the token stops working", example: 2_592_000 });

const TokenBody = z
  .object({
    role: z.enum(["operator", "tenant_admin", "developer"]),
    tenant: TenantName.optional().openapi({ description: "required unless role is operator" }),
    name: z.string().max(200).default(""),
    expires_in_seconds: ExpiresInSeconds.optional().openapi({ description: "omitted: never expires" }),
  })
  .strict()
  .openapi("CreateToken");

export const TokenListView = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(["operator", "tenant_admin", "developer"]),
    tenant: z.string().nullable(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    last_used_at: z.string().nullable().openapi({ description: "to the minute" }),
  })
  .openapi("TokenListing");

export const TokenView = TokenListView.omit({ last_used_at: true })
  .extend({ token: z.string().openapi({ description: "shown once; only its hash is stored" }) })
  .openapi("Token");

const tokenListView = (row: ApiTokenListing): z.output<typeof TokenListView> => ({
  id: row.id,
  name: row.name,
  role: row.role,
  tenant: row.tenant,
  created_at: row.createdAt.toISOString(),
  expires_at: row.expiresAt?.toISOString() ?? null,
  last_used_at: row.lastUsedAt?.toISOString() ?? null,
});

const createTokenRoute = createRoute({
  ...guard("tenant_admin"),
  method: "post",
  path: "/v1/tokens",
  tags: ["tokens"],
  summary: "Issue an API token (operators: any; tenant admins: in their tenant)",
  description:
    "The secret is in this response only. A retry with the same Idempotency-Key gets a 409 " +
    "`secret-shown-once` naming the token made, not the secret again.",
  security: bearerSecurity,
  request: {
    headers: IdempotencyHeader,
    body: { content: { "application/json": { schema: TokenBody } }, required: true },
  },
  responses: { 201: json(TokenView, "the token, shown once"), ...commonProblems, ...conflictProblem },
});

const listTokensRoute = createRoute({
  ...guard("tenant_admin"),
  method: "get",
  path: "/v1/tokens",
  tags: ["tokens"],
  summary: "List unrevoked API tokens, never their secrets (operators: all; tenant admins: their tenant's)",
  security: bearerSecurity,
  request: {
    query: PageQuery.extend({
      tenant: TenantName.optional().openapi({ description: "only this tenant's tokens" }),
    }),
  },
  responses: { 200: json(pageOf(TokenListView), "a page of tokens, oldest first"), ...commonProblems },
});

const revokeTokenRoute = createRoute({
  ...guard("tenant_admin"),
  method: "delete",
  path: "/v1/tokens/{id}",
  tags: ["tokens"],
  summary: "Revoke an API token: its next request is refused (operators: any; tenant admins: their tenant's)",
  security: bearerSecurity,
  request: { params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) }) },
  responses: { 204: { description: "revoked" }, ...commonProblems },
});

/** `/v1/tokens`: issue, list, revoke. */
export function registerTokenRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.openapi(createTokenRoute, async (c) => {
    const principal = c.get("principal");
    const body = c.req.valid("json");
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
      tenant = await visibleTenant(c, deps.db, body.tenant);
    }
    const secret = generateApiToken();
    const expiresAt =
      body.expires_in_seconds === undefined ? null : new Date(Date.now() + body.expires_in_seconds * 1000);
    const row = await insertApiToken(deps.db, {
      secret,
      role: body.role,
      tenantId: tenant?.id ?? null,
      name: body.name,
      expiresAt,
    });
    withholdFromReplay(c, "token");
    return c.json(
      {
        id: row.id,
        role: body.role,
        tenant: tenant?.name ?? null,
        name: body.name,
        token: secret,
        created_at: row.createdAt.toISOString(),
        expires_at: expiresAt?.toISOString() ?? null,
      },
      201,
    );
  });

  app.openapi(listTokensRoute, async (c) => {
    const principal = c.get("principal");
    const { limit, cursor, tenant } = c.req.valid("query");
    let tenantId = principal.tenantId;
    if (tenant !== undefined) {
      tenantId = (await visibleTenant(c, deps.db, tenant)).id;
    }
    const after = cursor === undefined ? undefined : createdCursorOf(decodeCursor(cursor, 2));
    const page = paginate(await listApiTokens(deps.db, tenantId, limit + 1, after), limit, createdKey);
    return c.json({ items: page.items.map(tokenListView), next_cursor: page.next_cursor }, 200);
  });

  app.openapi(revokeTokenRoute, async (c) => {
    const principal = c.get("principal");
    await revokeApiToken(deps.db, c.req.valid("param").id, principal.tenantId);
    c.get("log").info({ revokedToken: c.req.valid("param").id }, "token revoked");
    // streams open on this replica end now; other replicas' within their recheck interval
    await deps.tokenWatch.check();
    return c.body(null, 204);
  });
}
