import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv } from "../http/env";
import { rolesOfToken } from "../repo/space-roles";
import { tenantById } from "../repo/tenants";
import { authenticateToken } from "../repo/tokens";
import type { RouteDeps } from "../routes/deps";
import { TenantName } from "../routes/tenant-name";
import { ApiRefused, ConsoleApi, type InProcessFetch } from "./api-caller";
import type { EgressRule, NewToken, Policy, Snapshot, Volume } from "./api-types";
import { numberFields } from "./number-fields";
import { PAGES, type PageId, renderPage, type Session, signedOut, signInPage } from "./pages";
import {
  csrfMatches,
  csrfTokenFor,
  endSession,
  sessionToken,
  setFlash,
  signInCsrfMatches,
  startSession,
} from "./session";
import { CONSOLE_CSP } from "./style";
import { scaleFormOf } from "./views/apps";
import { portsText } from "./views/network";
import { roleFormOf } from "./views/space-roles";
import { consoleHref, type Viewer } from "./views/viewer";
import { bytesText, volumeFormOf } from "./views/volumes";

/** Form fields that steer the console, not the API's body. */
const CONTROL_FIELDS = new Set(["csrf", "tenant", "etag", "idempotency_key", "space"]);

const securityHeaders: MiddlewareHandler<ApiEnv> = async function consoleSecurityHeaders(c, next) {
  await next();
  c.res.headers.set("Content-Security-Policy", CONSOLE_CSP);
  c.res.headers.set("Cache-Control", "no-store");
  c.res.headers.set("X-Content-Type-Options", "nosniff");
  c.res.headers.set("Referrer-Policy", "no-referrer");
  c.res.headers.set("X-Frame-Options", "DENY");
};

function formValues(form: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    if (typeof value === "string" && !CONTROL_FIELDS.has(key)) values[key] = value;
  }
  return values;
}

/**
 * The web console at `/console`: server-rendered pages over the public API. Sign-in keeps the
 * token in an HttpOnly, SameSite=Strict cookie scoped to `/console`; every form carries a CSRF
 * token derived from it. Reads and changes are in-process requests to the API's own routes with
 * the user's token, so the console has no authorization of its own: what the API refuses, the
 * page shows (with the API's status and message).
 */
export function registerConsoleRoutes(app: OpenAPIHono<ApiEnv>, deps: RouteDeps): void {
  const request: InProcessFetch = (path, init) => app.request(path, init);

  async function sessionOf(c: Context<ApiEnv>, tenantAsked: unknown): Promise<Session | undefined> {
    const token = sessionToken(c);
    if (!token) return undefined;
    const result = await authenticateToken(deps.db, token);
    if ("refused" in result) {
      endSession(c);
      return undefined;
    }
    const { principal } = result;
    const asked = TenantName.safeParse(tenantAsked);
    const tenant =
      principal.role === "operator"
        ? asked.success
          ? asked.data
          : null
        : (await tenantById(deps.db, principal.tenantId)).name;
    const spaceRoles = principal.role === "developer" ? await rolesOfToken(deps.db, principal.tokenId) : null;
    const viewer: Viewer = { role: principal.role, tenant, csrf: csrfTokenFor(token), spaceRoles };
    const api = new ConsoleApi(request, {
      token,
      tenant: principal.role === "operator" ? tenant : null,
      requestId: c.get("requestId"),
    });
    return { token, viewer, api };
  }

  /**
   * A form post: checks the session and its CSRF token, runs the change through the API, then
   * redirects to `page` with `done`'s message (or answers itself); a refusal re-renders `page`
   * with the API's message at the form, under the API's status.
   */
  function action(
    page: PageId,
    form: string,
    change: (s: Session, fields: Record<string, unknown>, c: Context<ApiEnv>) => Promise<string | Response>,
  ) {
    return async function consoleAction(c: Context<ApiEnv>): Promise<Response> {
      const fields = await c.req.parseBody();
      const s = await sessionOf(c, fields.tenant);
      if (!s) return signInPage(c, "Your session has ended; sign in again.", 401);
      if (!csrfMatches(s.token, fields.csrf)) {
        const problem = {
          status: 403,
          title: "Form refused",
          detail: "this form did not come from this session of the console: reload the page and try again",
        };
        return renderPage(c, s, page, { outcome: { form, problem, values: {} } }, 403);
      }
      try {
        const done = await change(s, fields, c);
        if (typeof done !== "string") return done;
        setFlash(c, done);
        return c.redirect(consoleHref(s.viewer, PAGES[page].path), 303);
      } catch (error) {
        if (!(error instanceof ApiRefused)) throw error;
        if (error.problem.status === 401) return signedOut(c);
        const outcome = { form, problem: error.problem, values: formValues(fields) };
        return renderPage(c, s, page, { outcome }, error.problem.status);
      }
    };
  }

  const str = (value: unknown) => (typeof value === "string" ? value : undefined);

  app.use("/console", securityHeaders);
  app.use("/console/*", securityHeaders);

  for (const id of Object.keys(PAGES) as PageId[]) {
    app.get(PAGES[id].path, async (c) => {
      const s = await sessionOf(c, c.req.query("tenant"));
      if (!s) return signInPage(c);
      return renderPage(c, s, id, {}, 200);
    });
  }

  app.post("/console/sign-in", async (c) => {
    const fields = await c.req.parseBody();
    if (!signInCsrfMatches(c, fields.csrf)) {
      return signInPage(c, "The sign-in form had expired; try again.", 403);
    }
    const token = str(fields.token)?.trim() ?? "";
    const result = token ? await authenticateToken(deps.db, token) : { refused: "missing" };
    if ("refused" in result) return signInPage(c, `That token is ${result.refused}.`, 401);
    startSession(c, token);
    return c.redirect("/console", 303);
  });

  app.post("/console/sign-out", async (c) => {
    const fields = await c.req.parseBody();
    const token = sessionToken(c);
    if (token && !csrfMatches(token, fields.csrf))
      return signInPage(c, "Sign-out refused: reload and try again.", 403);
    endSession(c);
    return c.redirect("/console", 303);
  });

  app.post(
    "/console/spaces",
    action("overview", "new-space", async (s, fields) => {
      const name = str(fields.name)?.trim() ?? "";
      await s.api.send("POST", "/v1/spaces", { json: { name }, idempotencyKey: str(fields.idempotency_key) });
      return `Space ${name} created.`;
    }),
  );

  /** A quota form of a space or (operators) a tenant: the API's PATCH with the form's ETag as If-Match. */
  const quotaChange = (owner: "spaces" | "tenants") => async (c: Context<ApiEnv>) => {
    const name = c.req.param("name") ?? "";
    const form = owner === "spaces" ? `space-quota-${name}` : "tenant-quota";
    return action("overview", form, async (s, fields) => {
      await s.api.send("PATCH", `/v1/${owner}/${encodeURIComponent(name)}/quota`, {
        json: numberFields(fields, Object.keys(formValues(fields))),
        ifMatch: str(fields.etag),
      });
      return `${owner === "spaces" ? "Space" : "Tenant"} ${name}'s quota saved.`;
    })(c);
  };
  app.post("/console/spaces/:name/quota", quotaChange("spaces"));
  app.post("/console/tenants/:name/quota", quotaChange("tenants"));

  app.post("/console/spaces/:name/roles", async (c) => {
    const space = c.req.param("name");
    return action("overview", roleFormOf(space), async (s, fields) => {
      const token = str(fields.token) ?? "";
      const role = str(fields.role);
      await s.api.send("PUT", `/v1/spaces/${encodeURIComponent(space)}/roles/${encodeURIComponent(token)}`, {
        json: { role },
      });
      return `Role ${role} given in space ${space}.`;
    })(c);
  });

  app.post("/console/spaces/:name/roles/:token/remove", async (c) => {
    const space = c.req.param("name");
    return action("overview", roleFormOf(space), async (s) => {
      const token = encodeURIComponent(c.req.param("token"));
      await s.api.send("DELETE", `/v1/spaces/${encodeURIComponent(space)}/roles/${token}`);
      return `Role in space ${space} removed.`;
    })(c);
  });

  app.post("/console/apps/:name/scale", async (c) => {
    const fields = await c.req.parseBody();
    const app = { name: c.req.param("name"), space: str(fields.space) ?? "default" };
    return action("apps", scaleFormOf(app), async (s) => {
      const instances = numberFields(fields, ["instances"]).instances;
      const path = `/v1/apps/${encodeURIComponent(app.name)}?space=${encodeURIComponent(app.space)}`;
      await s.api.send("PATCH", path, { json: { instances } });
      return `${app.name} scaled to ${instances} instances.`;
    })(c);
  });

  /** A form's `space/app` choice as the API names an app (a crafted value without `/` is the app alone). */
  const appRef = (value: unknown) => {
    const [space, name] = (str(value) ?? "").split("/", 2);
    return name === undefined ? { name: space ?? "" } : { space, name };
  };
  /** A form's port fields as the API's body: an empty one is left out, bad text goes as typed. */
  const portFields = (fields: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(numberFields(fields, ["port", "end_port"])).filter(([, value]) => value !== null),
    );

  app.post(
    "/console/policies",
    action("network", "new-policy", async (s, fields) => {
      const source = appRef(fields.source);
      const destination = appRef(fields.destination);
      const made = await s.api.send<Policy>("POST", "/v1/policies", {
        json: {
          source: source.name,
          source_space: source.space,
          destination: destination.name,
          destination_space: destination.space,
          protocol: str(fields.protocol),
          ...portFields(fields),
        },
      });
      if (!made) throw new Error("the API answered a new policy with no body");
      return `Policy added: ${made.source.app} may open connections to ${made.destination.app} on ${made.protocol} ${portsText(made.ports)}.`;
    }),
  );

  app.post("/console/policies/:id/remove", async (c) =>
    action("network", "remove-policy", async (s) => {
      await s.api.send("DELETE", `/v1/policies/${encodeURIComponent(c.req.param("id"))}`);
      return "Policy removed: the connections it allowed are cut.";
    })(c),
  );

  app.post(
    "/console/egress-rules",
    action("network", "new-egress-rule", async (s, fields) => {
      const space = str(fields.rule_space) || undefined;
      const made = await s.api.send<EgressRule>("POST", "/v1/egress-rules", {
        json: {
          destination: str(fields.destination)?.trim() ?? "",
          protocol: str(fields.protocol),
          ...portFields(fields),
          ...(space ? { space } : {}),
        },
      });
      if (!made) throw new Error("the API answered a new egress rule with no body");
      const ports = made.protocol === "tcp" || made.protocol === "udp" ? ` ${portsText(made.ports)}` : "";
      return `Egress rule added: ${made.space ? `space ${made.space}` : "the tenant"} may reach ${made.destination} on ${made.protocol}${ports}.`;
    }),
  );

  app.post("/console/egress-rules/:id/remove", async (c) =>
    action("network", "remove-egress-rule", async (s) => {
      await s.api.send("DELETE", `/v1/egress-rules/${encodeURIComponent(c.req.param("id"))}`);
      return "Egress rule removed: the connections it allowed are cut.";
    })(c),
  );

  app.post(
    "/console/volumes",
    action("volumes", "new-volume", async (s, fields) => {
      const made = await s.api.send<Volume>("POST", "/v1/volumes", {
        json: {
          name: str(fields.name)?.trim() ?? "",
          ...numberFields(fields, ["size_mb"]),
          space: str(fields.volume_space),
          shared: fields.shared === "yes",
        },
        idempotencyKey: str(fields.idempotency_key),
      });
      if (!made) throw new Error("the API answered a new volume with no body");
      return `Volume ${made.name} created (${made.size_mb} MB): it is made on a cell when an instance first mounts it.`;
    }),
  );

  /** A change to volume `:name` (and its snapshot `:snapshot`), refused at that volume's actions. */
  const volumeAction =
    (
      change: (
        s: Session,
        at: string,
        fields: Record<string, unknown>,
        c: Context<ApiEnv>,
      ) => Promise<string>,
    ) =>
    async (c: Context<ApiEnv>) => {
      const name = c.req.param("name") ?? "";
      const at = `/v1/volumes/${encodeURIComponent(name)}`;
      return action("volumes", volumeFormOf(name), (s, fields) => change(s, at, fields, c))(c);
    };
  const snapshotOf = (c: Context<ApiEnv>) => c.req.param("snapshot") ?? "";

  app.post(
    "/console/volumes/:name/delete",
    volumeAction(async (s, at, _fields, c) => {
      await s.api.send("DELETE", at);
      return `Volume ${c.req.param("name")} deleted, with its data and snapshots.`;
    }),
  );
  app.post(
    "/console/volumes/:name/snapshots",
    volumeAction(async (s, at, fields) => {
      const name = str(fields.name)?.trim();
      const made = await s.api.send<Snapshot>("POST", `${at}/snapshots`, { json: name ? { name } : {} });
      if (!made) throw new Error("the API answered a new snapshot with no body");
      return `Snapshot ${made.name} of volume ${made.volume} stored (${bytesText(made.bytes)}).`;
    }),
  );
  app.post(
    "/console/volumes/:name/snapshots/:snapshot/restore",
    volumeAction(async (s, at, _fields, c) => {
      const snapshot = snapshotOf(c);
      await s.api.send("POST", `${at}/restore`, { json: { snapshot } });
      return `Volume ${c.req.param("name")} is restored from ${snapshot} when its next instance starts.`;
    }),
  );
  app.post(
    "/console/volumes/:name/snapshots/:snapshot/delete",
    volumeAction(async (s, at, _fields, c) => {
      const snapshot = snapshotOf(c);
      await s.api.send("DELETE", `${at}/snapshots/${encodeURIComponent(snapshot)}`);
      return `Snapshot ${snapshot} of volume ${c.req.param("name")} deleted.`;
    }),
  );

  app.post(
    "/console/tokens",
    action("tokens", "new-token", async (s, fields, c) => {
      const days = str(fields.expires_in_days)?.trim() ?? "";
      const expires = days === "" ? undefined : /^\d{1,6}$/.test(days) ? Number(days) * 86_400 : days;
      const created = await s.api.send<NewToken>("POST", "/v1/tokens", {
        json: {
          role: str(fields.role),
          tenant: s.viewer.tenant ?? undefined,
          name: str(fields.name)?.trim() ?? "",
          ...(expires === undefined ? {} : { expires_in_seconds: expires }),
        },
        idempotencyKey: str(fields.idempotency_key),
      });
      return renderPage(c, s, "tokens", { created }, 201);
    }),
  );

  app.post("/console/tokens/:id/revoke", async (c) =>
    action("tokens", "revoke-token", async (s) => {
      await s.api.send("DELETE", `/v1/tokens/${encodeURIComponent(c.req.param("id"))}`);
      return "Token revoked: its next request is refused.";
    })(c),
  );
}
