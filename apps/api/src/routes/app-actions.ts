import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { AppEventView, AppNameParam, AppSpaceQuery, AppView, appEventView } from "../apps/schemas";
import { accessOf, guard } from "../auth/access";
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
import { type AppChanges, appEtag } from "../repo/apps";
import { appRoutesToWithdraw, type InstanceRoute } from "../repo/routes";
import { withdrawRoutes } from "../routing/withdraw-routes";
import type { RouteDeps } from "./deps";

const actions = {
  start: { changes: (): AppChanges => ({ state: "started" }), summary: "Start an app's instances" },
  stop: { changes: (): AppChanges => ({ state: "stopped" }), summary: "Stop all of an app's instances" },
  restart: {
    changes: (): AppChanges => ({ state: "started", restartedAt: new Date() }),
    summary: "Replace every instance of an app",
  },
} as const;

const eventsRoute = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/apps/{name}/events",
  tags: ["apps"],
  summary: "An app's audit events, newest first",
  security: bearerSecurity,
  request: { params: AppNameParam, query: PageQuery.extend(AppSpaceQuery.shape) },
  responses: { 200: json(pageOf(AppEventView), "a page of events"), ...commonProblems },
});

/** `/v1/apps/{name}/start|stop|restart` and `/v1/apps/{name}/events`. */
export function registerAppActionRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  for (const [action, { changes, summary }] of Object.entries(actions)) {
    const route = createRoute({
      ...guard("space"),
      method: "post",
      path: `/v1/apps/{name}/${action}`,
      tags: ["apps"],
      summary,
      security: bearerSecurity,
      request: { params: AppNameParam, query: AppSpaceQuery, headers: IfMatchHeader },
      responses: {
        200: json(AppView, "the app"),
        ...commonProblems,
        ...preconditionProblem,
        ...quotaProblem,
      },
    });
    app.openapi(route, async (c) => {
      const access = await accessOf(c, deps.db);
      const found = await access.app(c.req.valid("param").name, c.req.valid("query").space);
      let unwanted: InstanceRoute[] = [];
      const row = await access.apps.update(found, changes(), {
        ifMatch: c.req.valid("header")["if-match"],
        actor: c.get("principal").tokenId,
        event: action === "start" ? "started" : action === "stop" ? "stopped" : "restarted",
        // read with the update, in its round trip
        alongside: async (tx, appId) => {
          unwanted = await appRoutesToWithdraw(tx, access.tenantId, appId, "unwanted");
        },
      });
      // a stopped app's routes go before the answer, not when the leader gets to it
      await withdrawRoutes(deps.nc, unwanted, deps.config.GROVE_DOMAIN);
      deps.desiredStateChanged();
      c.header("ETag", appEtag(row));
      return c.json(access.appView(row), 200);
    });
  }

  app.openapi(eventsRoute, async (c) => {
    const { limit, cursor, space } = c.req.valid("query");
    const before = cursor === undefined ? undefined : Number(decodeCursor(cursor, 1)[0]);
    const access = await accessOf(c, deps.db);
    const found = await access.app(c.req.valid("param").name, space);
    const rows = await access.apps.events(found.id, limit + 1, before);
    const page = paginate(rows, limit, (row) => [row.id]);
    return c.json({ items: page.items.map(appEventView), next_cursor: page.next_cursor }, 200);
  });
}
