import { OpenAPIHono } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import { bearerAuth } from "../auth/middleware";
import { registerConsoleRoutes } from "../console/routes";
import { Invalid, NotFound, PayloadTooLarge } from "../errors";
import { registerAppActionRoutes } from "../routes/app-actions";
import { registerAppRoutes } from "../routes/apps";
import { registerBitsRoutes } from "../routes/bits";
import { registerCellRoutes } from "../routes/cells";
import type { RouteDeps } from "../routes/deps";
import { registerEgressRoutes } from "../routes/egress-rules";
import { registerExecRoutes } from "../routes/execs";
import { registerHealthRoutes } from "../routes/health";
import { registerInstanceRoutes } from "../routes/instances";
import { registerJoinTokenRoutes } from "../routes/join-tokens";
import { registerLogRoutes } from "../routes/logs";
import { registerPolicyRoutes } from "../routes/policies";
import { registerQuotaRoutes } from "../routes/quotas";
import { registerSpaceRoutes } from "../routes/spaces";
import { registerTenantRoutes } from "../routes/tenants";
import { registerTokenRoutes } from "../routes/tokens";
import { registerVolumeSnapshotRoutes } from "../routes/volume-snapshots";
import { registerVolumeRoutes } from "../routes/volumes";
import type { ApiEnv } from "./env";
import { idempotency } from "./idempotency";
import { observeRequests } from "./observe";
import { fieldIssues, problemErrorHandler, problemResponse } from "./problems";
import { requestId } from "./request-id";

const bitsUpload = /^\/v1\/apps\/[^/]+\/bits$/;

/**
 * The api's HTTP application: request ids, metrics, body limits, bearer auth on `/v1`,
 * idempotent creates, every route, the web console at `/console`, `/openapi.json`, and one
 * problem+json error path.
 *
 * @example
 * const res = await createHttpApp(deps, log).request("/v1/apps", { headers: { authorization } });
 */
export function createHttpApp(deps: RouteDeps, log: Logger): OpenAPIHono<ApiEnv> {
  const app = observedApp(deps, log);
  const jsonLimit = bodyLimit({
    maxSize: deps.config.GROVE_MAX_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLarge(`request bodies are limited to ${deps.config.GROVE_MAX_BODY_BYTES} bytes`);
    },
  });
  app.use(async function limitBody(c, next) {
    // bits uploads stream to disk under their own, larger limit
    if (bitsUpload.test(c.req.path)) return next();
    return jsonLimit(c, next);
  });
  registerHealthRoutes(app, deps);

  app.use("/v1/*", bearerAuth(deps.db));
  app.use("/v1/*", idempotency(deps.db));
  registerTenantRoutes(app, deps);
  registerQuotaRoutes(app, deps);
  registerTokenRoutes(app, deps);
  registerSpaceRoutes(app, deps);
  registerAppRoutes(app, deps);
  registerAppActionRoutes(app, deps);
  registerVolumeRoutes(app, deps);
  registerVolumeSnapshotRoutes(app, deps);
  registerBitsRoutes(app, deps);
  registerInstanceRoutes(app, deps);
  registerLogRoutes(app, deps, log);
  registerExecRoutes(app, deps);
  registerJoinTokenRoutes(app, deps);
  registerCellRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerEgressRoutes(app, deps);
  registerConsoleRoutes(app, deps);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Grove API",
      version: "1",
      description: [
        "Authenticate with `Authorization: Bearer <token>`. Operators act inside a tenant by naming it",
        "in `X-Grove-Tenant`; tenant tokens always act in their own tenant, and another tenant's",
        "things are 404. Each operation's `x-grove-access` says who may call it: `operator`,",
        "`tenant_admin` (and operators), `member` (anyone of the tenant), or `space`: tenant admins",
        "and operators everywhere; a developer token where a tenant admin gave it a space role",
        "(`developer` reads and changes, `viewer` only reads: 403 for a change), and in any other",
        "space it finds nothing (404). App names are unique per space: `?space=` names the space.",
        "Errors are `application/problem+json` (RFC 9457) with `request_id`.",
        "Lists take `limit` and `cursor` and return `next_cursor`. Creates accept `Idempotency-Key`;",
        "updates return an `ETag` and accept `If-Match` (412 when stale).",
      ].join(" "),
    },
  });
  return app;
}

/**
 * What a replica without the `http` role serves on its port: `/livez`, `/readyz` and `/metrics`
 * (with request ids and request metrics); any other path is a 404 problem.
 *
 * @example
 * serve({ fetch: createHealthApp(deps, log).fetch, port });
 */
export function createHealthApp(deps: RouteDeps, log: Logger): OpenAPIHono<ApiEnv> {
  const app = observedApp(deps, log);
  registerHealthRoutes(app, deps);
  return app;
}

/** An app with the one error path, request ids and request metrics, and no routes yet. */
function observedApp(deps: RouteDeps, log: Logger): OpenAPIHono<ApiEnv> {
  const app = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = fieldIssues(result.error.issues);
        throw new Invalid(
          `invalid ${result.target}: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`,
          issues,
        );
      }
    },
  });
  app.onError(problemErrorHandler(log));
  app.notFound((c) => problemResponse(c, new NotFound(`no route ${c.req.method} ${c.req.path}`)));

  app.use(requestId(log));
  app.use(observeRequests(deps.metrics));
  return app;
}
