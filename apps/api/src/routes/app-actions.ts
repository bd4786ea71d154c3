import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { AppEventView, AppName, AppView, appEventView, appView } from "../apps/schemas";
import { tenantIdOf } from "../auth/tenant-scope";
import type { ApiEnv } from "../http/env";
import {
  bearerSecurity,
  commonProblems,
  IfMatchHeader,
  json,
  preconditionProblem,
  quotaProblem,
} from "../http/openapi";
import { decodeCursor, PageQuery, pageOf, paginate } from "../http/pagination";
import { type AppChanges, appEtag, TenantApps } from "../repo/apps";
import { appRoutesToWithdraw } from "../repo/routes";
import { withdrawRoutes } from "../routing/withdraw-routes";
import type { RouteDeps } from "./deps";

const NameParam = z.object({ name: AppName.openapi({ param: { name: "name", in: "path" } }) });

const actions = {
  start: { changes: (): AppChanges => ({ state: "started" }), summary: "Start an app's instances" },
  stop: { changes: (): AppChanges => ({ state: "stopped" }), summary: "Stop all of an app's instances" },
  restart: {
    changes: (): AppChanges => ({ state: "started", restartedAt: new Date() }),
    summary: "Replace every instance of an app",
  },
} as const;

const eventsRoute = createRoute({
  method: "get",
  path: "/v1/apps/{name}/events",
  tags: ["apps"],
  summary: "An app's audit events, newest first",
  security: bearerSecurity,
  request: { params: NameParam, query: PageQuery },
  responses: { 200: json(pageOf(AppEventView), "a page of events"), ...commonProblems },
});

/** `/v1/apps/{name}/start|stop|restart` and `/v1/apps/{name}/events`. */
export function registerAppActionRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  for (const [action, { changes, summary }] of Object.entries(actions)) {
    const route = createRoute({
      method: "post",
      path: `/v1/apps/{name}/${action}`,
      tags: ["apps"],
      summary,
      security: bearerSecurity,
      request: { params: NameParam, headers: IfMatchHeader },
      responses: {
        200: json(AppView, "the app"),
        ...commonProblems,
        ...preconditionProblem,
        ...quotaProblem,
      },
    });
    app.openapi(route, async (c) => {
      const apps = new TenantApps(deps.db, await tenantIdOf(c, deps.db));
      const row = await apps.update(c.req.valid("param").name, changes(), {
        ifMatch: c.req.valid("header")["if-match"],
        actor: c.get("principal").tokenId,
        event: action === "start" ? "started" : action === "stop" ? "stopped" : "restarted",
      });
      // a stopped app's routes go before the answer, not when the leader gets to it
      const unwanted = await appRoutesToWithdraw(deps.db, apps.tenantId, row.id, "unwanted");
      await withdrawRoutes(deps.nc, unwanted, deps.config.GROVE_DOMAIN);
      deps.desiredStateChanged();
      c.header("ETag", appEtag(row));
      return c.json(appView(row), 200);
    });
  }

  app.openapi(eventsRoute, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const before = cursor === undefined ? undefined : Number(decodeCursor(cursor, 1)[0]);
    const apps = new TenantApps(deps.db, await tenantIdOf(c, deps.db));
    const rows = await apps.events(c.req.valid("param").name, limit + 1, before);
    const page = paginate(rows, limit, (row) => [row.id]);
    return c.json({ items: page.items.map(appEventView), next_cursor: page.next_cursor }, 200);
  });
}
