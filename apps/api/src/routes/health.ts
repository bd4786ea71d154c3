import type { OpenAPIHono } from "@hono/zod-openapi";
import type { ApiEnv } from "../http/env";
import { checkReadiness } from "../http/readiness";
import type { RouteDeps } from "./deps";

/** `/livez`, `/readyz` and `/metrics`: unauthenticated, outside the OpenAPI document. */
export function registerHealthRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  app.get("/livez", (c) => c.json({ live: true }));
  app.get("/readyz", async (c) => {
    const readiness = await checkReadiness(deps.db, deps.nc);
    return c.json(readiness, readiness.ready ? 200 : 503);
  });
  app.get("/metrics", async (c) =>
    c.body(await deps.metrics.registry.metrics(), 200, { "Content-Type": deps.metrics.registry.contentType }),
  );
}
