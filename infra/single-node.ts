/**
 * `npm start`: a single-node Grove on this host — Postgres, NATS, the api, one agent and the router,
 * all under $GROVE_HOME (default ./.grove) — then logs the CLI in, pushes examples/hello and prints
 * how to reach it. Ctrl-C stops everything, the app containers included; the next `npm start`
 * brings the same apps back from the desired state kept in Postgres.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { cellName, createCellRuntime } from "@grove/garden-server";
import {
  exists,
  postgresBinDir,
  startNatsServer,
  startPostgresServer,
  stopChild,
  waitForOutput,
} from "@grove/services";
import { execa } from "execa";
import { pino } from "pino";

const root = resolve(import.meta.dirname, "..");
const home = resolve(process.env.GROVE_HOME ?? join(root, ".grove"));
const apiPort = Number(process.env.GROVE_API_PORT ?? 7070);
const routerPort = Number(process.env.GROVE_ROUTER_PORT ?? 8080);
const domain = process.env.GROVE_DOMAIN ?? "grove.localhost";
const cell = {
  bridge: process.env.GROVE_BRIDGE ?? "grove0",
  subnet: process.env.GROVE_SUBNET ?? "10.254.0.0/22",
  portStart: Number(process.env.GROVE_PORT_POOL_START ?? 61001),
  portSize: Number(process.env.GROVE_PORT_POOL_SIZE ?? 4000),
};
const say = (line: string) => process.stderr.write(`grove: ${line}\n`);
const children: ChildProcess[] = [];
const stops: (() => Promise<void>)[] = [];

async function main(): Promise<void> {
  await mkdir(home, { recursive: true });
  await chmod(home, 0o755); // postgres and user-namespaced containers traverse it
  const secrets = await loadSecrets();

  say(`state in ${home}`);
  const postgres = await startPostgresServer({
    dataDir: join(home, "postgres", "data"),
    socketDir: join(home, "postgres"),
    port: Number(process.env.GROVE_POSTGRES_PORT ?? 54329),
    durable: true,
  });
  stops.push(() => postgres.stop());
  const databaseUrl = await ensureDatabase(postgres.url);
  const nats = await startNatsServer({
    storeDir: join(home, "nats"),
    port: Number(process.env.GROVE_NATS_PORT ?? 42229),
    name: "grove-single-node",
  });
  stops.push(() => nats.stop());
  say(`postgres on 127.0.0.1:${postgres.port}, nats on ${nats.url}`);

  await launch("api", "apps/api/src/main.ts", /"api listening"/, {
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    GROVE_API_PORT: String(apiPort),
    GROVE_API_HOST: "127.0.0.1",
    GROVE_BOOTSTRAP_TOKEN: secrets.operatorToken,
    GROVE_DEFAULT_TENANT: "default",
    GROVE_DOMAIN: domain,
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const agentDir = join(home, "agent");
  const joinToken = (await exists(join(agentDir, "identity.json")))
    ? undefined
    : await createJoinToken(api, secrets.operatorToken);
  // stops run in reverse: the containers are removed only after the agent has stopped
  stops.push(removeContainers);
  await launch("agent", "apps/agent/src/main.ts", /"agent running"/, {
    NATS_URL: nats.url,
    GROVE_STATE_DIR: agentDir,
    GROVE_CELL_NAME: hostname(),
    GROVE_CELL_ADDRESS: "127.0.0.1",
    GROVE_BRIDGE: cell.bridge,
    GROVE_SUBNET: cell.subnet,
    GROVE_PORT_POOL_START: String(cell.portStart),
    GROVE_PORT_POOL_SIZE: String(cell.portSize),
    ...(joinToken ? { GROVE_JOIN_TOKEN: joinToken } : {}),
  });
  await launch("router", "apps/router/src/main.ts", /"router listening"/, {
    NATS_URL: nats.url,
    GROVE_ROUTER_HOST: "127.0.0.1",
    GROVE_ROUTER_PORT: String(routerPort),
    GROVE_ROUTER_STATUS_PORT: String(routerPort + 2),
    // One proxy process: on a single node the router shares the cores with the apps, the api and
    // the databases (a second worker measured slower on 2 cores); a router host uses all its cores.
    GROVE_ROUTER_WORKERS: process.env.GROVE_ROUTER_WORKERS ?? "1",
  });

  await grove(["login", "--api", api, "--token", secrets.operatorToken, "--tenant", "default"]);
  say("pushing examples/hello");
  await grove(["push", join(root, "examples/hello"), "--name", "hello"], { stdio: "inherit" });
  const url = `http://hello.default.${domain}:${routerPort}`;
  process.stdout.write(
    [
      "",
      `Grove is running. examples/hello is at ${url}`,
      `  curl ${url}`,
      "",
      "Try:",
      "  npx grove apps show hello",
      "  npx grove scale hello -i 3",
      "  npx grove push examples/hello-node --name hello-node --stack node",
      "",
      "Ctrl-C stops Grove (apps come back on the next npm start).",
      "",
    ].join("\n"),
  );
}

/** The operator token, made once and kept in $GROVE_HOME (mode 0600). */
async function loadSecrets(): Promise<{ operatorToken: string }> {
  const file = join(home, "secrets.json");
  if (await exists(file)) return JSON.parse(await readFile(file, "utf8"));
  const secrets = { operatorToken: `grove-op-${randomBytes(24).toString("base64url")}` };
  await writeFile(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}

async function ensureDatabase(url: string): Promise<string> {
  const psql = join(postgresBinDir, "psql");
  const found = await execa(psql, [url, "-tAc", "select 1 from pg_database where datname = 'grove'"]);
  if (found.stdout.trim() !== "1") await execa(psql, [url, "-qc", "create database grove"]);
  return url.replace(/\/postgres$/, "/grove");
}

async function createJoinToken(api: string, operatorToken: string): Promise<string> {
  const res = await fetch(`${api}/v1/cells/tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
    body: "{}",
  });
  if (!res.ok) throw new Error(`could not create a join token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

async function launch(
  name: string,
  entry: string,
  ready: RegExp,
  env: Record<string, string>,
): Promise<void> {
  await mkdir(join(home, "logs"), { recursive: true });
  const child = spawn(process.execPath, ["--import", "tsx", join(root, entry)], {
    cwd: root,
    env: { ...process.env, GROVE_LOG_LEVEL: process.env.GROVE_LOG_LEVEL ?? "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  stops.push(() => stopChild(child, "SIGTERM", 15_000));
  const log = (await import("node:fs")).createWriteStream(join(home, "logs", `${name}.log`), { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await waitForOutput(child, ready, 60_000, name);
  child.on("exit", (code, signal) => {
    if (!shuttingDown) say(`${name} exited (${code ?? signal}); see ${join(home, "logs", `${name}.log`)}`);
  });
  say(`${name} started (logs: ${join(home, "logs", `${name}.log`)})`);
}

function grove(args: string[], options: { stdio?: "inherit" } = {}) {
  return execa(process.execPath, [join(root, "apps/cli/bin/grove.js"), ...args], {
    stdio: options.stdio ?? "pipe",
    env: { ...process.env, NO_COLOR: "1" },
  });
}

/** After the agent stopped: remove the app containers and the cell network (desired state stays). */
async function removeContainers(): Promise<void> {
  const runtime = await createCellRuntime({
    stateDir: join(home, "agent"),
    bridge: cell.bridge,
    subnet: cell.subnet,
    name: cellName(cell.bridge),
    externalIP: "127.0.0.1",
    portPool: { start: cell.portStart, end: cell.portStart + cell.portSize - 1 },
    log: pino({ level: "silent" }),
  });
  await runtime.destroyAll();
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  say("stopping");
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      say(`while stopping: ${(error as Error).message}`);
    }
  }
  process.exit(code);
}

process.once("SIGINT", () => void shutdown(0));
process.once("SIGTERM", () => void shutdown(0));
main().catch(async (error) => {
  say(error instanceof Error ? (error.message.split("\n")[0] ?? "failed") : String(error));
  await shutdown(1);
});
