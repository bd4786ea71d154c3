import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { connectDatabase, type Database } from "@grove/db";
import type { AuthoritySecrets } from "@grove/nats-auth";
import type { TestNats, TestPostgres } from "@grove/testkit";
import { serve } from "@hono/node-server";
import type { NatsConnection } from "@nats-io/transport-node";
import pino from "pino";
import { pack } from "tar-stream";
import { onTestFinished } from "vitest";
import { type Api, createApi } from "../src/api";
import { type Config, loadConfig } from "../src/config";

/** The bootstrap operator token of every test api. */
export const OPERATOR = "test-operator-token-0123456789";

export interface TestApi {
  api: Api;
  config: Config;
  db: Database;
  nc: NatsConnection;
  /** the NATS authority the api signs cells' users with */
  authority: AuthoritySecrets;
  /** An in-process request; `json` is sent as the body, `token` defaults to the operator's. */
  call(
    path: string,
    init?: {
      method?: string;
      token?: string | null;
      json?: unknown;
      body?: RequestInit["body"];
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  /**
   * Creates a tenant and returns a token of `role` in it; a developer token gets the developer
   * role in the tenant's `default` space.
   */
  tenantWithToken(name: string, role?: "tenant_admin" | "developer"): Promise<string>;
  /** Serves the api over HTTP on a free loopback port (closed when the test finishes); its base URL. */
  serveHttp(): Promise<string>;
}

/**
 * A started api over a fresh database on the file's Postgres and a new connection to the file's
 * NATS; stopped and disconnected when the test finishes.
 */
export async function startTestApi(
  pg: TestPostgres,
  nats: TestNats,
  env: Record<string, string> = {},
): Promise<TestApi> {
  const url = await pg.createDatabase(`t_${randomBytes(5).toString("hex")}`);
  const database = connectDatabase(url, { max: 5 });
  const nc = await nats.connect("api");
  const config = loadConfig({
    DATABASE_URL: url,
    ...nats.env("api"),
    GROVE_BOOTSTRAP_TOKEN: OPERATOR,
    GROVE_LOG_LEVEL: "silent",
    ...env,
  });
  const api = createApi({
    config,
    db: database.db,
    nc,
    authority: nats.security.authority,
    log: pino({ level: "silent" }),
  });
  await api.start();
  onTestFinished(async () => {
    await api.stop();
    await nc.close();
    await database.close();
  });
  const call: TestApi["call"] = (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? OPERATOR : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body = init.body;
    if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    return Promise.resolve(api.app.request(path, { method: init.method ?? "GET", headers, body }));
  };
  return {
    api,
    config,
    db: database.db,
    nc,
    authority: nats.security.authority,
    call,
    async tenantWithToken(name, role = "developer") {
      await expectStatus(await call("/v1/tenants", { method: "POST", json: { name } }), 201);
      const res = await call("/v1/tokens", { method: "POST", json: { role, tenant: name } });
      const made = (await expectStatus(res, 201)) as { id: string; token: string };
      if (role === "developer") {
        const grant = await call(`/v1/spaces/default/roles/${made.id}`, {
          method: "PUT",
          json: { role: "developer" },
          headers: { "x-grove-tenant": name },
        });
        await expectStatus(grant, 200);
      }
      return made.token;
    },
    async serveHttp() {
      const server = serve({ fetch: api.app.fetch, port: 0, hostname: "127.0.0.1" });
      await new Promise<void>((resolve) => server.once("listening", () => resolve()));
      onTestFinished(async () => {
        if ("closeAllConnections" in server) server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
  };
}

/** Asserts the status (showing the body when it differs) and returns the parsed JSON body. */
export async function expectStatus(res: Response, status: number): Promise<unknown> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

export { eventually } from "@grove/testkit/services";

/** A minimal valid app body. */
export const webApp = (name = "web", extra: Record<string, unknown> = {}) => ({
  name,
  command: "httpd -f -p 8080",
  ...extra,
});

/** Creates app `name` (webApp with `extra`) as the holder of `token` and uploads bits; its id. */
export async function pushApp(
  t: TestApi,
  token: string,
  name: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const app = (await expectStatus(
    await t.call("/v1/apps", { method: "POST", token, json: webApp(name, extra) }),
    201,
  )) as { id: string };
  const tar = await tarOf({ "app.sh": "httpd" });
  await expectStatus(await t.call(`/v1/apps/${name}/bits`, { method: "PUT", token, body: tar }), 200);
  return app.id;
}

/** A join token of the test's api for `uses` cells. */
export async function joinToken(
  t: { call(path: string, init: { method: string; json: unknown }): Response | Promise<Response> },
  uses?: number,
): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: uses ? { uses } : {} });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

/** A tar archive of the given files (name → content), as the CLI would upload. */
export async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
