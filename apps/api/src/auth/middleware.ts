import type { Database } from "@grove/db";
import type { MiddlewareHandler } from "hono";
import { Unauthorized } from "../errors";
import type { ApiEnv } from "../http/env";
import { principalForToken } from "../repo/tokens";

/** Authenticates `Authorization: Bearer <token>` and sets the principal; 401 otherwise. */
export function bearerAuth(db: Database): MiddlewareHandler<ApiEnv> {
  return async function bearerAuthMiddleware(c, next) {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) {
      c.header("WWW-Authenticate", 'Bearer realm="grove"');
      throw new Unauthorized("missing bearer token");
    }
    const principal = await principalForToken(db, match[1]);
    if (!principal) {
      c.header("WWW-Authenticate", 'Bearer realm="grove", error="invalid_token"');
      throw new Unauthorized("unknown token");
    }
    c.set("principal", principal);
    c.set("log", c.get("log").child({ principal: principal.tokenId }));
    await next();
  };
}
