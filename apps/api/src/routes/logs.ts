import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import type { Logger } from "pino";
import { AppNameParam, AppSpaceQuery } from "../apps/schemas";
import { accessOf, guard } from "../auth/access";
import type { ApiEnv } from "../http/env";
import { bearerSecurity, commonProblems } from "../http/openapi";
import { whileTokenHolds } from "../http/token-bound-stream";
import { tailAppLogs } from "../logs/tail";
import { InstancePlacements, LogLineVerifier } from "../logs/verify";
import type { RouteDeps } from "./deps";

const logs = createRoute({
  ...guard("space"),
  method: "get",
  path: "/v1/apps/{name}/logs",
  tags: ["apps"],
  summary: "An app's recent log lines, and with follow=true new ones as they come (server-sent events)",
  description:
    "Each line is an SSE event `log` whose id is its sequence; reconnect with `Last-Event-ID` to resume. " +
    "If the token is revoked or expires while the stream is open, a last event `error` (a 401 problem) ends it.",
  security: bearerSecurity,
  request: {
    params: AppNameParam,
    query: AppSpaceQuery.extend({
      lines: z.coerce.number().int().min(0).max(10_000).default(100),
      follow: z
        .enum(["true", "false"])
        .default("false")
        .transform((v) => v === "true"),
    }),
    headers: z.object({ "last-event-id": z.string().regex(/^\d+$/).optional() }),
  },
  responses: {
    200: {
      description: "event stream of log lines",
      content: { "text/event-stream": { schema: z.string() } },
    },
    ...commonProblems,
  },
});

/** `GET /v1/apps/{name}/logs` (SSE). */
export function registerLogRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps, log: Logger): void {
  // one for the api's life: placements are cached across requests, refusals logged once
  const verifier = new LogLineVerifier(
    new InstancePlacements(deps.db),
    deps.metrics,
    log.child({ component: "api.logs" }),
  );
  app.openapi(logs, async (c) => {
    const { lines, follow, space } = c.req.valid("query");
    const appRow = await (await accessOf(c, deps.db)).app(c.req.valid("param").name, space);
    const lastEventId = c.req.valid("header")["last-event-id"];
    return streamSSE(c, async (stream) => {
      const tail = await tailAppLogs({
        verifier,
        nc: deps.nc,
        streams: deps.logStreams,
        tenantId: appRow.tenantId,
        appId: appRow.id,
        lines,
        follow,
        afterSeq: lastEventId === undefined ? undefined : Number(lastEventId),
        onRead: () => deps.metrics.logTailMessagesRead.inc(),
        emit: (entry) =>
          stream.writeSSE({ event: "log", id: String(entry.seq), data: JSON.stringify(entry) }),
      });
      stream.onAbort(() => void tail.stop());
      await whileTokenHolds(
        c,
        stream,
        deps.tokenWatch,
        () => tail.done,
        () => tail.stop(),
      );
    });
  });
}
