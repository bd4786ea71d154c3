import { randomBytes } from "node:crypto";
import { createApi, loadConfig } from "@grove/api";
import { connectDatabase } from "@grove/db";
import { describeWith, freePort, it, type TestNats } from "@grove/testkit";
import pino from "pino";
import { expect, onTestFinished } from "vitest";
import { ApiError, ApiUnreachable, GroveClient } from "../src/index";

const OPERATOR = "client-test-operator-token-0123";

/** A started api on the file's Postgres and NATS, answering the client in-process. */
async function inProcessApi(pg: { createDatabase(name: string): Promise<string> }, nats: TestNats) {
  const url = await pg.createDatabase(`c_${randomBytes(5).toString("hex")}`);
  const database = connectDatabase(url, { max: 4 });
  const nc = await nats.connect("api");
  const config = loadConfig({
    DATABASE_URL: url,
    ...nats.env("api"),
    GROVE_BOOTSTRAP_TOKEN: OPERATOR,
    GROVE_LOG_LEVEL: "silent",
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
  return (options: { token?: string; tenant?: string } = {}) =>
    new GroveClient({
      baseUrl: "http://grove.test",
      token: options.token ?? OPERATOR,
      tenant: options.tenant,
      fetch: async (request) => api.app.fetch(request),
    });
}

describeWith(["root", "postgres", "nats"], "GroveClient against the api", () => {
  it("creates and lists tenants, apps and instances with typed results", async ({ pg, nats }) => {
    const client = await inProcessApi(pg, nats);
    const operator = client();
    expect((await operator.createTenant("acme")).name).toBe("acme");
    const token = await operator.createToken({ role: "developer", tenant: "acme", name: "ci" });
    expect(token.token).toMatch(/^grove_/);
    expect(await client({ tenant: "acme" }).setSpaceRole("default", "ci", "developer")).toMatchObject({
      token_name: "ci",
      role: "developer",
    });
    const dev = client({ token: token.token });
    const app = await dev.createApp({ name: "web", command: "httpd -f -p 8080" });
    expect(app).toMatchObject({ name: "web", revision: 1, instances: 1, memory_mb: 256 });
    expect((await dev.updateApp("web", { instances: 3 })).instances).toBe(3);
    expect((await dev.listApps()).map((a) => a.name)).toEqual(["web"]);
    expect(await dev.listInstances("web")).toEqual([]);
    expect((await operator.listTenants()).map((t) => t.name)).toContain("acme");
    // an operator acts in a tenant by naming it
    expect((await client({ tenant: "acme" }).getApp("web")).id).toBe(app.id);
  });

  it("turns problem+json answers into one ApiError with status, title and detail", async ({ pg, nats }) => {
    const client = await inProcessApi(pg, nats);
    await client().createTenant("acme");
    const missing = await client({ tenant: "acme" })
      .getApp("nope")
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(missing).toMatchObject({ status: 404, title: "Not found", type: "urn:grove:problem:not-found" });
    expect((missing as ApiError).detail).toMatch(/nope/);
    expect((missing as ApiError).requestId).toBeTruthy();
    const bad = await client({ token: "not-a-token-at-all" })
      .listApps()
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 401, detail: "unknown token" });
    const invalid = await client({ tenant: "acme" })
      .createApp({ name: "Bad Name", command: "x" })
      .catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400 });
    expect((invalid as ApiError).issues.map((i) => i.field)).toEqual(["name"]);
  });
});

describeWith([], "GroveClient without an API", () => {
  it("reports a refused connection as ApiUnreachable naming the address", async () => {
    const baseUrl = `http://127.0.0.1:${await freePort()}`;
    const error = await new GroveClient({ baseUrl, token: "t" }).listApps().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachable);
    expect((error as Error).message).toBe(
      `cannot reach the API at ${baseUrl}: connect ECONNREFUSED ${baseUrl.slice(7)}`,
    );
  });
});
