import type { Database } from "@grove/db";
import type { MiddlewareHandler } from "hono";
import { Unauthorized } from "../errors";
import type { ApiEnv } from "../http/env";
import { authenticateToken } from "../repo/tokens";

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
    const result = await authenticateToken(db, match[1]);
    if ("refused" in result) {
      c.header("WWW-Authenticate", 'Bearer realm="grove", error="invalid_token"');
      throw new Unauthorized(`${result.refused} token`);
    }
    const { principal } = result;
    c.set("principal", principal);
    c.set("log", c.get("log").child({ principal: principal.tokenId }));
    await next();
  };
}
