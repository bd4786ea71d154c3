/**
 * `npm run test:compose` (root): the production deployment, for real. Builds the images
 * (infra/images/build: Debian bases by mmdebstrap, cached), brings docker-compose.yml up with
 * podman-compose under a project name of its own (published ports on 127.0.0.1 only, free ones),
 * waits for every health check, checks that JetStream keeps each stream on all three NATS servers,
 * joins an agent on this host (the built bundle, its own bridge, subnet and port pool), pushes
 * examples/hello through api1, reads it back through api2, serves it through the compose router,
 * then tears it all down: the app's containers and the cell's network, the stack's containers,
 * network and volumes. Images stay as a cache. Prints one line per step and `N passed, N failed`.
 */
import { randomBytes } from "node:crypto";
import { chown, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cellName, createCellRuntime } from "@grove/garden-server";
import { natsConnectOptions } from "@grove/nats-auth";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { execa, type ResultPromise } from "execa";
import { pino } from "pino";
import { nodeArgsFor } from "./bin-entry.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const id = randomBytes(3).toString("hex");
const project = `grove-compose-${id}`;
/** the images' user: secret files must be readable by it */
const IMAGE_UID = 10001;
const started = Date.now();
const results: { step: string; ok: boolean; ms: number; error?: string }[] = [];
const undo: (() => Promise<unknown>)[] = [];

function say(text: string): void {
  process.stdout.write(`compose: ${text}\n`);
}

async function step<T>(name: string, work: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  try {
    const value = await work();
    results.push({ step: name, ok: true, ms: Date.now() - t0 });
    say(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return value;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.push({ step: name, ok: false, ms: Date.now() - t0, error: message });
    say(`FAIL ${name}: ${message.split("\n").slice(0, 12).join("\n      ")}`);
    throw error;
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last: ${String(last)})` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** installs what the test needs from Debian when missing (podman, podman-compose, mmdebstrap) */
async function ensureTools(): Promise<void> {
  const missing: string[] = [];
  for (const [tool, pkg] of [
    ["podman", "podman"],
    ["podman-compose", "podman-compose"],
    ["mmdebstrap", "mmdebstrap"],
    ["netavark", "netavark"],
  ] as const) {
    const found =
      tool === "netavark"
        ? (await execa("test", ["-x", "/usr/lib/podman/netavark"], { reject: false })).exitCode === 0
        : (await execa("sh", ["-c", `command -v ${tool}`], { reject: false })).exitCode === 0;
    if (!found) missing.push(pkg);
  }
  if (missing.length === 0) return;
  say(`installing ${missing.join(", ")} (apt-get)`);
  await execa(
    "apt-get",
    ["-o", "DPkg::Lock::Timeout=600", "install", "-y", "--no-install-recommends", ...missing, "aardvark-dns"],
    { env: { DEBIAN_FRONTEND: "noninteractive" } },
  );
}

/**
 * podman gives each container the largest open-files and processes limits; where this host's hard
 * limits are lower (a sandbox), runc is refused them: a containers.conf asking for what it allows
 */
async function containersConf(dir: string): Promise<string | undefined> {
  const limits = await readFile("/proc/self/limits", "utf8");
  const hard = (name: string) => Number(new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, "m").exec(limits)?.[1]);
  const files = hard("Max open files");
  if (!(files < 1048576)) return undefined;
  const processes = Math.min(hard("Max processes") || 32768, 32768);
  const file = join(dir, "containers.conf");
  await writeFile(
    file,
    `[containers]\ndefault_ulimits = ["nofile=${files}:${files}", "nproc=${processes}:${processes}"]\n`,
  );
  say(`this host's hard limits are low: containers get nofile ${files}, nproc ${processes} (${file})`);
  return file;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error("npm run test:compose needs root (rootful podman, the agent)");
  const work = `/var/lib/grove/compose-test-${id}`;
  const ports = {
    api1: await freePort(),
    api2: await freePort(),
    nats1: await freePort(),
    nats2: await freePort(),
    nats3: await freePort(),
    router: await freePort(),
    status: await freePort(),
  };
  const token = `grove-op-${randomBytes(24).toString("base64url")}`;
  // others traverse it: the cell's user-namespaced containers reach their root filesystems under it
  await mkdir(work, { recursive: true, mode: 0o755 });
  undo.push(() => rm(work, { recursive: true, force: true }));
  const conf = await containersConf(work);
  // podman, podman-compose and the image build alike
  if (conf) process.env.CONTAINERS_CONF = conf;
  const composeEnv = {
    ...process.env,
    GROVE_NATS_SECURITY: join(work, "nats"),
    GROVE_SECRETS: join(work, "secrets"),
    GROVE_DEFAULT_TENANT: "default",
    GROVE_NATS_BIND: "127.0.0.1",
    GROVE_API_BIND: "127.0.0.1",
    GROVE_ROUTER_BIND: "127.0.0.1",
    GROVE_STATUS_BIND: "127.0.0.1",
    GROVE_NATS_PORT_1: String(ports.nats1),
    GROVE_NATS_PORT_2: String(ports.nats2),
    GROVE_NATS_PORT_3: String(ports.nats3),
    GROVE_API_PORT_1: String(ports.api1),
    GROVE_API_PORT_2: String(ports.api2),
    GROVE_ROUTER_PUBLISH_PORT: String(ports.router),
    GROVE_ROUTER_STATUS_PUBLISH_PORT: String(ports.status),
    GROVE_ROUTER_WORKERS: "1",
    // the cell's container subnet comes from a range of this run's own
    GROVE_CELL_NETWORK: `10.${200 + (Number.parseInt(id.slice(0, 2), 16) % 40)}.0.0/16`,
  };
  const compose = (args: string[]) =>
    execa("podman-compose", ["-p", project, "-f", join(root, "docker-compose.yml"), ...args], {
      cwd: root,
      env: composeEnv,
    });

  await step("tools (podman, podman-compose, mmdebstrap from Debian)", ensureTools);
  await step("bundles (npm run build)", async () => {
    const stale = ["apps/agent/src/main.ts", "apps/cli/src/main.ts"].some(
      (source) => nodeArgsFor(source)[0] === "--import",
    );
    await execa("npm", ["run", "--silent", "build"], {
      cwd: root,
      env: { TURBO_TELEMETRY_DISABLED: "1", TURBO_NO_UPDATE_NOTIFIER: "1" },
      stdio: stale ? "inherit" : "ignore",
    });
  });
  await step("images (infra/images/build; bases cached)", async () => {
    await execa(join(root, "infra/images/build"), [], { cwd: root, stdio: "inherit" });
  });
  await step("secrets (npm run nats:setup, passwords; owned by the images' user)", async () => {
    await mkdir(join(work, "secrets"), { recursive: true, mode: 0o700 });
    await execa(
      process.execPath,
      ["--import", "tsx", join(root, "infra/nats-setup.ts"), join(work, "nats")],
      {
        cwd: root,
      },
    );
    await writeFile(join(work, "secrets/postgres_password"), randomBytes(18).toString("hex"), {
      mode: 0o600,
    });
    await writeFile(join(work, "secrets/bootstrap_token"), token, { mode: 0o600 });
    for (const dir of ["nats", "nats/tls", "secrets"]) {
      await chown(join(work, dir), IMAGE_UID, IMAGE_UID);
      for (const name of await readdir(join(work, dir), { withFileTypes: true }))
        if (name.isFile()) await chown(join(work, dir, name.name), IMAGE_UID, IMAGE_UID);
    }
  });

  const t0 = Date.now();
  undo.push(async () => {
    await compose(["down", "-v"]).catch((error) => say(`down: ${String(error).slice(0, 300)}`));
    // what down leaves in podman-compose 1.0.3: the project's network and pod
    await execa("podman", ["network", "rm", "-f", `${project}_default`], { reject: false });
    await execa("podman", ["pod", "rm", "-f", `pod_${project}`], { reject: false });
    const left = await execa("podman", [
      "volume",
      "ls",
      "-q",
      "--filter",
      `label=io.podman.compose.project=${project}`,
    ]);
    for (const volume of left.stdout.split("\n").filter(Boolean))
      await execa("podman", ["volume", "rm", "-f", volume], { reject: false });
  });
  await step("compose up (postgres, nats1-3, api1, api2, router)", () => compose(["up", "-d", "--no-build"]));
  const containers = ["postgres", "nats1", "nats2", "nats3", "api1", "api2", "router"].map(
    (service) => `${project}_${service}_1`,
  );
  await step("every health check passes (podman healthcheck run)", async () => {
    for (const container of containers)
      await until(
        `${container} healthy`,
        async () =>
          (await execa("podman", ["healthcheck", "run", container], { reject: false })).exitCode === 0 ||
          undefined,
        240_000,
      );
  });
  const upSeconds = (Date.now() - t0) / 1000;
  say(`stack up and healthy in ${upSeconds.toFixed(1)} s`);

  const natsUrl = [ports.nats1, ports.nats2, ports.nats3].map((p) => `tls://127.0.0.1:${p}`).join(",");
  await step("JetStream keeps every Grove stream on the three servers (R3)", async () => {
    const nc = await connect({
      ...(await natsConnectOptions({
        url: natsUrl,
        caFile: join(work, "nats/tls/ca.pem"),
        credsFile: join(work, "nats/api.creds"),
      })),
    });
    try {
      const jsm = await jetstreamManager(nc);
      await until(
        "streams at 3 replicas, each with a leader and 2 current followers",
        async () => {
          const names = ["GROVE_INSTANCE_EVENTS", "GROVE_DEAD_LETTERS", "OBJ_grove-bits"];
          // the default tenant's logs stream
          for await (const name of jsm.streams.names()) if (name.startsWith("GROVE_LOGS_")) names.push(name);
          if (names.length < 4) return undefined;
          for (const name of names) {
            const info = await jsm.streams.info(name);
            const current = (info.cluster?.replicas ?? []).filter((r) => r.current).length;
            if (info.config.num_replicas !== 3 || !info.cluster?.leader || current !== 2) return undefined;
          }
          return true;
        },
        120_000,
      );
    } finally {
      await nc.close();
    }
  });

  const api1 = `http://127.0.0.1:${ports.api1}`;
  const grove = (args: string[], api = api1) =>
    execa(process.execPath, [...nodeArgsFor("apps/cli/src/main.ts"), ...args], {
      cwd: root,
      env: {
        GROVE_API: api,
        GROVE_TOKEN: token,
        GROVE_TENANT: "default",
        XDG_CONFIG_HOME: join(work, "xdg"),
      },
    });

  // the agent runs on this host, as on a cell host; the router (a container) reaches the cell's
  // mapped ports at the host's address on the stack's bridge
  const gateway = await step("the stack's bridge address (the cell's address)", async () => {
    const inspect = await execa("podman", ["network", "inspect", `${project}_default`]);
    const [network] = JSON.parse(inspect.stdout) as { subnets?: { gateway?: string }[] }[];
    const address = network?.subnets?.[0]?.gateway;
    if (!address) throw new Error(`no gateway in ${inspect.stdout.slice(0, 300)}`);
    return address;
  });
  const joinToken = await step("a join token (grove cells token, through api1)", async () =>
    String((await grove(["cells", "token"])).stdout).trim(),
  );

  const stateDir = join(work, "agent");
  const bridge = `gc${id}`;
  const portStart = 42000 + (Number.parseInt(id.slice(2, 4), 16) % 32) * 500;
  let agent: ResultPromise | undefined;
  undo.push(async () => {
    agent?.kill("SIGTERM");
    await agent?.catch(() => undefined);
    const identity = JSON.parse(
      await readFile(join(stateDir, "identity.json"), "utf8").catch(() => "{}"),
    ) as {
      network?: { subnet: string };
    };
    const runtime = await createCellRuntime({
      stateDir,
      bridge,
      subnet: identity.network?.subnet ?? "10.254.252.0/24",
      name: cellName(bridge),
      externalIP: gateway,
      portPool: { start: portStart, end: portStart + 499 },
      log: pino({ level: "silent" }),
    });
    await runtime.destroyAll();
  });
  await step("an agent on this host joins (the built bundle)", async () => {
    await mkdir(stateDir, { recursive: true, mode: 0o755 });
    await writeFile(join(work, "join-token"), joinToken, { mode: 0o600 });
    const log: string[] = [];
    agent = execa(process.execPath, nodeArgsFor("apps/agent/src/main.ts"), {
      cwd: root,
      env: {
        NATS_URL: natsUrl,
        GROVE_NATS_CA: join(work, "nats/tls/ca.pem"),
        GROVE_NATS_CREDS: join(work, "nats/join.creds"),
        GROVE_JOIN_TOKEN_FILE: join(work, "join-token"),
        GROVE_STATE_DIR: stateDir,
        GROVE_CELL_NAME: `compose-${id}`,
        GROVE_CELL_ADDRESS: gateway,
        GROVE_BRIDGE: bridge,
        GROVE_PORT_POOL_START: String(portStart),
        GROVE_PORT_POOL_SIZE: "500",
        GROVE_CELL_MEMORY_MB: "2048",
        GROVE_STATUS_PORT: "0",
      },
      all: true,
      buffer: false,
    });
    agent.all?.on("data", (chunk: Buffer) => {
      log.push(String(chunk));
      if (log.length > 200) log.shift();
    });
    agent.catch(() => undefined);
    await until(
      "the cell listed by the api",
      async () => {
        if (agent?.exitCode !== null && agent?.exitCode !== undefined)
          throw new Error(`agent exited ${agent.exitCode}: ${log.join("").slice(-1500)}`);
        const listed = String((await grove(["cells", "list"])).stdout);
        return listed.includes(`compose-${id}`) ? true : undefined;
      },
      120_000,
    );
  });
  await step("grove push examples/hello (api1), RUNNING", () =>
    grove(["push", join(root, "examples/hello"), "--name", "hello"]),
  );
  await step("api2 (the other replica) shows the app", async () => {
    const shown = String((await grove(["apps", "list"], `http://127.0.0.1:${ports.api2}`)).stdout);
    if (!/^hello\s/m.test(shown)) throw new Error(`api2 lists: ${shown}`);
  });
  const servedAfter = await step("the compose router serves it (127.0.0.1)", async () => {
    const t = Date.now();
    const body = await until(
      "hello through the router",
      async () => {
        // fetch() sends no Host header of its own choosing: node:http does
        const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
          const host = "hello.default.grove.localhost";
          get({ host: "127.0.0.1", port: ports.router, path: "/", headers: { host } }, (res) => {
            let text = "";
            res.setEncoding("utf8").on("data", (chunk: string) => {
              text += chunk;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
          }).on("error", reject);
        });
        return answer.status === 200 && answer.text.includes("Hello from Grove") ? answer.text : undefined;
      },
      120_000,
    );
    return { body, ms: Date.now() - t };
  });
  say(`served: ${/<title>([^<]*)<\/title>/.exec(servedAfter.body)?.[1] ?? servedAfter.body.slice(0, 80)}`);
  await step("the router's /metrics counts the request", async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${ports.status}/metrics`)).text();
    if (!/^grove_router_/m.test(metrics))
      throw new Error(`no grove_router_ metrics: ${metrics.slice(0, 200)}`);
  });
  await step("grove delete hello", () => grove(["delete", "hello", "--force"]));
  say(
    `bring-up (compose up to healthy): ${upSeconds.toFixed(1)} s; whole run so far ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
}

let failed = false;
try {
  await main();
} catch {
  failed = true;
} finally {
  const t = Date.now();
  for (const action of undo.reverse()) await action().catch((error) => say(`cleanup: ${String(error)}`));
  say(`torn down in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
const passed = results.filter((r) => r.ok).length;
process.stdout.write(`compose: ${passed} passed, ${results.length - passed} failed\n`);
process.exit(failed ? 1 : 0);
