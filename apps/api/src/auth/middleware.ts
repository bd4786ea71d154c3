import type { Database } from "@grove/db";
import type { MiddlewareHandler } from "hono";
import { Unauthorized } from "../errors";
import type { ApiEnv } from "../http/env";
import { tenantByName } from "../repo/tenants";
import { authenticateToken } from "../repo/tokens";
import { TENANT_HEADER } from "./tenant-scope";

/**
 * Authenticates `Authorization: Bearer <token>` and sets the principal; 401 for a missing, unknown,
 * revoked or expired token. Read from Postgres on every request: no cache outlives a revoke.
 */
export function bearerAuth(db: Database): MiddlewareHandler<ApiEnv> {
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      c.header("WWW-Authenticate", 'Bearer realm="grove"');
      throw new Unauthorized("missing bearer token");
    }
    // the tenant a request names (what operators act in) is looked up while the token is checked:
    // one round trip, not two, and each costs a wait when the event loop is busy
    const tenantName = c.req.header(TENANT_HEADER);
    const namedTenant = tenantName === undefined ? undefined : tenantByName(db, tenantName);
    // only an operator's request uses it (and then reports a tenant not found)
    namedTenant?.catch(() => {});
    const result = await authenticateToken(db, match[1]);
    if ("refused" in result) {
      c.header("WWW-Authenticate", 'Bearer realm="grove", error="invalid_token"');
      throw new Unauthorized(`${result.refused} token`);
    }
    const { principal } = result;
    c.set("principal", principal);
    if (principal.role === "operator" && namedTenant) c.set("namedTenant", namedTenant);
    c.set("log", c.get("log").child({ principal: principal.tokenId }));
    await next();
  };
}
