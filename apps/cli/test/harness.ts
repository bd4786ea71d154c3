import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createApi, loadConfig } from "@grove/api";
import { GroveClient } from "@grove/client";
import { connectDatabase } from "@grove/db";
import type { TestNats, TestPostgres } from "@grove/testkit";
import { serve } from "@hono/node-server";
import type { NatsConnection } from "@nats-io/transport-node";
import { execa } from "execa";
import pino from "pino";
import { onTestFinished } from "vitest";

/** The bootstrap operator token of every test api. */
export const OPERATOR = "cli-test-operator-token-0123456789";

const MAIN = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/**
 * The CLI as `npm run build` makes it, built into a directory of the test's own (other tests run
 * the repository's bundles), removed when the test finishes: the path of a script that starts it
 * as `bin/grove.js` does, through `infra/bin-entry.cjs` with V8's code cache.
 */
export async function builtGrove(): Promise<string> {
  // inside the repository, where the bundle's manifest names the sources it came from
  await mkdir(join(ROOT, ".grove"), { recursive: true });
  const out = await mkdtemp(join(ROOT, ".grove", "test-cli-build-"));
  onTestFinished(() => rm(out, { recursive: true, force: true }));
  await execa(process.execPath, [join(ROOT, "infra/build.mjs"), "--out-dir", out, "--only", "grove"]);
  const runner = join(out, "grove.cjs");
  const entry = JSON.stringify(join(ROOT, "infra/bin-entry.cjs"));
  const bundle = JSON.stringify(join(out, "apps/cli/dist/grove.cjs"));
  await writeFile(runner, `require(${entry}).start(${bundle}, ${JSON.stringify(MAIN)});\n`);
  return runner;
}

/** A real api served over HTTP on a free loopback port. */
export interface ServedApi {
  url: string;
  nc: NatsConnection;
  /** a client of the api as the operator, acting in `tenant` when given */
  operator(tenant?: string): GroveClient;
  /** Creates a tenant and returns a developer token in it. */
  developerIn(tenant: string): Promise<string>;
  metrics(): Promise<string>;
}

/**
 * Starts an api over a fresh database on the file's Postgres and a new NATS connection, and
 * serves it on 127.0.0.1; everything is stopped when the test finishes.
 */
export async function serveApi(pg: TestPostgres, nats: TestNats): Promise<ServedApi> {
  const databaseUrl = await pg.createDatabase(`cli_${randomBytes(5).toString("hex")}`);
  const database = connectDatabase(databaseUrl, { max: 5 });
  const nc = await nats.connect("api");
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ...nats.env("api"),
    GROVE_BOOTSTRAP_TOKEN: OPERATOR,
    GROVE_LOG_LEVEL: "silent",
    GROVE_PLACEMENT_INTERVAL_MS: "500",
  });
  const api = createApi({
    config,
    db: database.db,
    nc,
    authority: nats.security.authority,
    log: pino({ level: "silent" }),
    leaderCheckMs: 200,
  });
  await api.start();
  const server = serve({ fetch: api.app.fetch, port: 0, hostname: "127.0.0.1" });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  onTestFinished(async () => {
    if ("closeAllConnections" in server) server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await api.stop();
    await nc.close();
    await database.close();
  });
  const operator = (tenant?: string) => new GroveClient({ baseUrl: url, token: OPERATOR, tenant });
  return {
    url,
    nc,
    operator,
    async developerIn(tenant) {
      await operator().createTenant(tenant);
      const made = await operator().createToken({ role: "developer", tenant });
      await operator(tenant).setSpaceRole("default", made.id, "developer");
      return made.token;
    },
    metrics: () => api.metrics.registry.metrics(),
  };
}

/** What a `grove` run printed and how it exited. */
export interface GroveRun {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** stderr's lines, without the empty last one */
  errorLines: string[];
  /** stdout parsed as one JSON document */
  json<T = unknown>(): T;
  /** stdout parsed as NDJSON */
  ndjson<T = unknown>(): T[];
}

/**
 * The api served for one test, and a config home logged in to it as the operator (`config`), with
 * `tenants` created through the CLI.
 */
export async function operatorSession(
  pg: TestPostgres,
  nats: TestNats,
  tenants: string[] = [],
): Promise<{ api: ServedApi; config: string }> {
  const api = await serveApi(pg, nats);
  const config = await configHome();
  await grove(["login", "--api", api.url, "--token", OPERATOR], { config });
  for (const tenant of tenants) await grove(["tenants", "create", tenant], { config });
  return { api, config };
}

/** A config home of its own (XDG_CONFIG_HOME) for the `grove` runs of one test. */
export async function configHome(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "grove-cli-test-"));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Runs the real CLI as a child process (`node --import tsx src/main.ts`; with `built`, that script
 * of `builtGrove` with Node's `nodeArgs` before it), with only the environment given (plus PATH and
 * XDG_CONFIG_HOME), never the caller's GROVE_* variables.
 */
export async function grove(
  args: string[],
  options: {
    config: string;
    env?: Record<string, string>;
    input?: string;
    cwd?: string;
    signal?: AbortSignal;
    built?: string;
    nodeArgs?: string[];
  },
): Promise<GroveRun> {
  const entry = options.built ? [options.built] : ["--import", "tsx", MAIN];
  const result = await execa(process.execPath, [...(options.nodeArgs ?? []), ...entry, ...args], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? "",
      XDG_CONFIG_HOME: options.config,
      HOME: options.config,
      ...options.env,
    },
    extendEnv: false,
    input: options.input ?? "",
    reject: false,
    stripFinalNewline: false,
    cancelSignal: options.signal,
    timeout: 60_000,
  });
  const stdout = String(result.stdout);
  const stderr = String(result.stderr);
  return {
    stdout,
    stderr,
    exitCode: result.exitCode ?? -1,
    errorLines: stderr.split("\n").filter((line, i, all) => !(line === "" && i === all.length - 1)),
    json: <T>() => JSON.parse(stdout) as T,
    ndjson: <T>() =>
      stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as T),
  };
}
