import type { MiddlewareHandler } from "hono";
import type { Logger } from "pino";
import { v7 } from "../ids";
import type { ApiEnv } from "./env";

const acceptable = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Takes the caller's `X-Request-Id` (or makes one), echoes it on the response and gives the
 * request a child logger carrying it.
 */
export function requestId(log: Logger): MiddlewareHandler<ApiEnv> {
  return async function requestIdMiddleware(c, next) {
    const given = c.req.header("x-request-id");
    const id = given && acceptable.test(given) ? given : v7();
    c.set("requestId", id);
    c.set("log", log.child({ requestId: id }));
    c.header("X-Request-Id", id);
    await next();
    c.res.headers.set("X-Request-Id", id);
  };
}
