/**
 * `npm start`: a single-node Grove on this host — Postgres, NATS, the api, one agent and the router,
 * all under $GROVE_HOME (default ./.grove; what other users must reach is under $GROVE_HOME/state when
 * $GROVE_HOME is private, see single-node-state.ts) — then logs the CLI in, pushes examples/hello and prints
 * how to reach it. Ctrl-C stops everything, the app containers included; the next `npm start`
 * brings the same apps back from the desired state kept in Postgres.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { ChildFailed, runChild } from "@grove/child";
import { cellName, createCellRuntime } from "@grove/garden-server";
import {
  ensureNatsSecurity,
  exists,
  forwardLoopbackPort,
  postgresBinDir,
  startNatsServer,
  startPostgresServer,
  stopChild,
  waitForOutput,
} from "@grove/services";
import { execa } from "execa";
import { pino } from "pino";
import { nodeArgsFor } from "./bin-entry.mjs";
import { type CellHost, createCellHosts } from "./single-node-hosts";
import { singleNodeStateDir } from "./single-node-state";

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
/** `--cells N`: N agents, each on its own netns host (its own address, zone z1…zN) of one private L2 */
const cellCount = cellsArgument(process.argv.slice(2));
const hostsSubnet = process.env.GROVE_HOSTS_SUBNET ?? "10.253.0.0/24";
const api = `http://127.0.0.1:${apiPort}`;
const say = (line: string) => process.stderr.write(`grove: ${line}\n`);
const children: ChildProcess[] = [];
/** how to undo each step main took, undone last first */
const stops: (() => Promise<void>)[] = [];
/** aborted by Ctrl-C: main takes no further step, and the CLI it runs is stopped */
const stopping = new AbortController();

/** Registers the undoing of a step main just took; after Ctrl-C, main goes no further. */
function undoWith(stop: () => Promise<void>): void {
  stops.push(stop);
  if (stopping.signal.aborted) throw new Error("stopping");
}

let state = home;

async function main(): Promise<void> {
  state = await singleNodeStateDir(home);
  const secrets = await loadSecrets();

  say(
    state === home ? `state in ${home}` : `state in ${home} (what postgres and containers reach: ${state})`,
  );
  const postgres = await startPostgresServer({
    dataDir: join(state, "postgres", "data"),
    socketDir: join(state, "postgres"),
    port: Number(process.env.GROVE_POSTGRES_PORT ?? 54329),
    durable: true,
  });
  undoWith(() => postgres.stop());
  const databaseUrl = await ensureDatabase(postgres.url);
  // TLS certificates, the NATS operator/accounts and role credentials are made once under
  // $GROVE_HOME/nats-security (mode 0700, keys 0600); no anonymous access
  const security = await ensureNatsSecurity(join(home, "nats-security"));
  const nats = await startNatsServer({
    dir: join(state, "nats"),
    port: Number(process.env.GROVE_NATS_PORT ?? 42229),
    security,
    name: "grove-single-node",
  });
  const natsEnv = (role: "api" | "router" | "join") => ({
    NATS_URL: nats.url,
    GROVE_NATS_CA: security.caFile,
    GROVE_NATS_CREDS: security.creds[role],
  });
  undoWith(() => nats.stop());
  say(`postgres on 127.0.0.1:${postgres.port}, nats on ${nats.url}`);

  await launch("api", "apps/api/src/main.ts", /"api listening"/, {
    DATABASE_URL: databaseUrl,
    ...natsEnv("api"),
    GROVE_NATS_AUTHORITY: security.authorityFile,
    GROVE_API_PORT: String(apiPort),
    GROVE_API_HOST: "127.0.0.1",
    GROVE_BOOTSTRAP_TOKEN: secrets.operatorToken,
    GROVE_DEFAULT_TENANT: "default",
    GROVE_DOMAIN: domain,
    // each cell leases a /24 of GROVE_SUBNET (a /22: up to four cells)
    GROVE_CELL_NETWORK: process.env.GROVE_CELL_NETWORK ?? cell.subnet,
  });
  // stops run in reverse: the containers are removed only after the agents have stopped
  if (cellCount === 1) {
    undoWith(() => removeContainers(join(state, "agent"), cell.bridge));
    await launchAgent(
      "agent",
      join(state, "agent"),
      {
        ...natsEnv("join"),
        GROVE_CELL_NAME: hostname(),
        GROVE_CELL_ADDRESS: "127.0.0.1",
        GROVE_BRIDGE: cell.bridge,
      },
      secrets.operatorToken,
    );
  } else {
    const hosts = await createCellHosts({ prefix: cell.bridge, count: cellCount, subnet: hostsSubnet });
    undoWith(() => hosts.remove());
    say(
      `${cellCount} cell hosts on ${hosts.bridge} (${hostsSubnet}): ${hosts.hosts.map((h) => h.address).join(", ")}`,
    );
    for (const [i, host] of hosts.hosts.entries()) {
      // NATS listens on this machine's loopback: each host gets it at the same 127.0.0.1 address
      const forwarder = await forwardLoopbackPort(host, nats.port);
      undoWith(() => forwarder.close());
      const bridge = `${cell.bridge}c${i + 1}`.slice(0, 15);
      undoWith(() => removeContainers(join(state, `agent-${i + 1}`), bridge, host));
      await launchAgent(
        `agent-${i + 1}`,
        join(state, `agent-${i + 1}`),
        {
          ...natsEnv("join"),
          GROVE_CELL_NAME: `${hostname()}-${i + 1}`,
          GROVE_CELL_ADDRESS: host.address,
          GROVE_CELL_ZONE: `z${i + 1}`,
          GROVE_BRIDGE: bridge,
        },
        secrets.operatorToken,
        host,
      );
    }
  }
  await launch("router", "apps/router/src/main.ts", /"router listening"/, {
    ...natsEnv("router"),
    GROVE_ROUTER_HOST: "127.0.0.1",
    GROVE_ROUTER_PORT: String(routerPort),
    GROVE_ROUTER_STATUS_PORT: process.env.GROVE_ROUTER_STATUS_PORT ?? String(routerPort + 2),
    // One proxy process: on a single node the router shares the cores with the apps, the api and
    // the databases (a second worker measured slower on 2 cores); a router host uses all its cores.
    GROVE_ROUTER_WORKERS: process.env.GROVE_ROUTER_WORKERS ?? "1",
  });

  await grove(["login", "--api", api, "--token", secrets.operatorToken, "--tenant", "default"]);
  say("pushing examples/hello");
  await grove(["push", join(root, "examples/hello"), "--name", "hello"], { show: true });
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
      ...(cellCount > 1
        ? [
            "  npx grove cells list",
            `  npx grove cells drain ${hostname()}-1    # its instances move to the other cells`,
          ]
        : []),
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

/** the container network the api leased to the agent when it joined */
async function joinedNetwork(agentDir: string): Promise<{ subnet: string } | undefined> {
  const file = join(agentDir, "identity.json");
  if (!(await exists(file))) return undefined;
  return (JSON.parse(await readFile(file, "utf8")) as { network?: { subnet: string } }).network;
}

/** The agent has joined already (an identity from before cells had their own NATS user joins again). */
async function hasCellIdentity(agentDir: string): Promise<boolean> {
  const file = join(agentDir, "identity.json");
  if (!(await exists(file))) return false;
  return Boolean((JSON.parse(await readFile(file, "utf8")) as { natsSeed?: string }).natsSeed);
}

async function ensureDatabase(url: string): Promise<string> {
  const psql = (sql: string) =>
    runChild(join(postgresBinDir, "psql"), [url, "-tAc", sql], {
      hint: `Check the server at ${url} (its data is in ${join(state, "postgres", "data")}).`,
    });
  const found = await psql("select 1 from pg_database where datname = 'grove'");
  if (found.trim() !== "1") await psql("create database grove");
  return url.replace(/\/postgres$/, "/grove");
}

function cellsArgument(args: string[]): number {
  const at = args.findIndex((a) => a === "--cells" || a.startsWith("--cells="));
  if (at < 0) return 1;
  const value = args[at]?.includes("=") ? args[at]?.split("=")[1] : args[at + 1];
  const count = Number(value);
  if (!Number.isInteger(count) || count < 1 || count > 4) {
    process.stderr.write(`grove: --cells takes a number of cells from 1 to 4, not ${value ?? "nothing"}\n`);
    process.exit(2);
  }
  return count;
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
  host?: CellHost,
): Promise<void> {
  await mkdir(join(home, "logs"), { recursive: true });
  const [file, args] = host
    ? ["nsenter", [`--net=${host.netnsPath}`, "--", process.execPath, ...nodeArgsFor(entry)]]
    : [process.execPath, nodeArgsFor(entry)];
  const child = spawn(file, args, {
    cwd: root,
    env: { ...process.env, GROVE_LOG_LEVEL: process.env.GROVE_LOG_LEVEL ?? "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  undoWith(() => stopChild(child, "SIGTERM", 15_000));
  const log = (await import("node:fs")).createWriteStream(join(home, "logs", `${name}.log`), { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  await waitForOutput(child, ready, 60_000, name, `Its whole log is ${join(home, "logs", `${name}.log`)}.`);
  child.on("exit", (code, signal) => {
    if (!stopping.signal.aborted)
      say(`${name} exited (${code ?? signal}); see ${join(home, "logs", `${name}.log`)}`);
  });
  say(`${name} started (logs: ${join(home, "logs", `${name}.log`)})`);
}

/** Runs the CLI (its stdout and stderr shown with `show`); a failure is ChildFailed with its last lines. */
async function grove(args: string[], options: { show?: boolean } = {}): Promise<void> {
  const shown = options.show ? (["pipe", "inherit"] as const) : "pipe";
  const result = await execa(process.execPath, [join(root, "apps/cli/bin/grove.js"), ...args], {
    stdout: shown,
    stderr: shown,
    env: { ...process.env, NO_COLOR: "1" },
    reject: false,
    cancelSignal: stopping.signal,
  });
  if (result.exitCode === 0) return;
  if (stopping.signal.aborted) throw new Error("stopping");
  throw new ChildFailed(
    `grove ${args[0]}`,
    {
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    },
    `See ${join(home, "logs")} for the api's and the agent's side.`,
  );
}

/** One agent, joining with a new token unless it has joined before. */
async function launchAgent(
  name: string,
  stateDir: string,
  env: Record<string, string>,
  operatorToken: string,
  host?: CellHost,
): Promise<void> {
  const joinToken = (await hasCellIdentity(stateDir)) ? undefined : await createJoinToken(api, operatorToken);
  await launch(
    name,
    "apps/agent/src/main.ts",
    /"agent running"/,
    {
      ...env,
      GROVE_STATE_DIR: stateDir,
      GROVE_SUBNET: cell.subnet,
      GROVE_PORT_POOL_START: String(cell.portStart),
      GROVE_PORT_POOL_SIZE: String(cell.portSize),
      // beside the router's (8083 by default); single nodes side by side (tests) each get their own
      GROVE_STATUS_PORT: process.env.GROVE_STATUS_PORT ?? String(routerPort + 3),
      ...(joinToken ? { GROVE_JOIN_TOKEN: joinToken } : {}),
    },
    host,
  );
}

/** After an agent stopped: remove its app containers and cell network (desired state stays). */
async function removeContainers(stateDir: string, bridge: string, host?: CellHost): Promise<void> {
  const runtime = await createCellRuntime({
    ...(host ? { hostNetns: host.netnsPath } : {}),
    stateDir,
    bridge,
    // the subnet the cell leased: the other cells' are routed beside it
    subnet: (await joinedNetwork(stateDir))?.subnet ?? cell.subnet,
    name: cellName(bridge),
    externalIP: host?.address ?? "127.0.0.1",
    portPool: { start: cell.portStart, end: cell.portStart + cell.portSize - 1 },
    log: pino({ level: "silent" }),
  });
  await runtime.destroyAll();
}

/**
 * Ctrl-C at any moment: undoes what main did so far, waits for main to notice (it goes no further,
 * or fails because what it waited for is gone), then undoes what main did meanwhile.
 */
async function shutdown(code: number): Promise<void> {
  if (stopping.signal.aborted) return;
  stopping.abort();
  say("stopping");
  await undoAll();
  await running;
  await undoAll();
  process.exit(code);
}

async function undoAll(): Promise<void> {
  for (let stop = stops.pop(); stop; stop = stops.pop()) {
    try {
      await stop();
    } catch (error) {
      say(`while stopping: ${(error as Error).message}`);
    }
  }
}

// `on`, not `once`: execa's signal-exit re-raises a signal that no other listener is left for,
// which ended this process at once while the CLI was pushing, leaving everything behind
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
/** main's end: its error, unless Ctrl-C came first (then its failure is the stop's doing) */
const running = main().then(
  () => undefined,
  (error: unknown) => (stopping.signal.aborted ? undefined : error),
);
void running.then((error) => {
  if (error === undefined) return;
  say(error instanceof Error ? error.message : String(error));
  void shutdown(1);
});
