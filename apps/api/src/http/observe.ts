import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { ApiMetrics } from "../metrics";
import type { ApiEnv } from "./env";

/** Counts and times every request by its route pattern (not the raw path, to bound label values). */
export function observeRequests(metrics: ApiMetrics): MiddlewareHandler<ApiEnv> {
  return async function observeRequestsMiddleware(c, next) {
    const started = performance.now();
    await next();
    const route = routePath(c, -1) || "unmatched";
    metrics.httpRequests.inc({ method: c.req.method, route, status: String(c.res.status) });
    metrics.httpDuration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    const level = c.res.status >= 500 ? "error" : "debug";
    c.get("log")[level]({ method: c.req.method, route, status: c.res.status }, "request");
  };
}
