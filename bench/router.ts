/**
 * Router throughput: requests/s and p99 latency through the router vs straight to the instance
 * and vs nginx as a proxy in front of it, measured in the same run with the same keep-alive client
 * (`wrk`). Target: the router does at least 0.9 of nginx's requests/s.
 *
 * The instance is a real one: a single node (as `npm start` starts it) runs `examples/hello-node`
 * on the node stack in a container, and "direct" is its mapped port on the cell, the address the
 * router itself forwards to. Rounds alternate direct and routed load and the medians are compared,
 * so a slower or faster stretch of the machine weighs on both sides. nginx (infra/setup installs it)
 * is measured in the same rounds as a proxy in front of the same instance: what a native proxy does
 * on this machine.
 *
 * A reference part repeats the comparison against a bare Node server on loopback (no container,
 * no log line per request), where the router's own cost weighs most: with the router as configured
 * by default, with GET/HEAD pipelining to the endpoint (GROVE_ROUTER_PIPELINE_DEPTH), and nginx.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { encode, RouteRegistration, subjects } from "@grove/protocol";
import { freePort, makeTempDir, startNats, stopChild, waitForOutput } from "@grove/testkit/services";
import { execa } from "execa";
import { startSingleNode } from "../infra/single-node-process";
import { percentile, report } from "./lib";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
/**
 * Router processes (GROVE_ROUTER_WORKERS), as single-node mode runs it unless told otherwise; the
 * reference routers and nginx get the same.
 */
const WORKERS = Number(process.env.GROVE_ROUTER_WORKERS ?? 1);
process.env.GROVE_ROUTER_WORKERS = String(WORKERS);
const HOST = "bench.grove.localhost";
const PIPELINE_DEPTH = 16;
const example = join(import.meta.dirname, "../examples/hello-node");

type Load = Awaited<ReturnType<typeof load>>;

/**
 * Load from `wrk` (C, epoll): a Node load generator would take a large share of this machine's two
 * cores and hide the router's own cost. Falls back to an error naming the package when it is missing.
 */
async function load(address: string, host: string) {
  const seconds = Math.max(1, Math.round(DURATION_MS / 1000));
  const result = await execa(
    "wrk",
    [
      "-t",
      "1",
      "-c",
      String(CONCURRENCY),
      "-d",
      `${seconds}s`,
      "--latency",
      "-H",
      `Host: ${host}`,
      `http://${address}/`,
    ],
    { reject: false },
  );
  if (result.exitCode !== 0)
    throw new Error(`wrk failed (apt-get install wrk): ${result.stderr || result.stdout}`);
  const out = String(result.stdout);
  const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN);
  const p99 = toMs(out.match(/\s99%\s+([\d.]+)(us|ms|s)/));
  const errors = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  return { rps, p99, errors };
}

function toMs(match: RegExpMatchArray | null): number {
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

async function child(script: string, env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", ...script.split(" ")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    cwd: join(import.meta.dirname, ".."),
  });
  await waitForOutput(proc, ready, 20_000, script);
  proc.stdout?.resume();
  proc.stderr?.resume();
  return proc;
}

/** Where load goes in one comparison: "direct" first, then the proxies, each by its address. */
type Targets = Record<string, string | undefined>;
interface Measured {
  rps: number;
  p99: number;
}

/**
 * Loads each target in turn, ROUNDS times over (so a slower or faster stretch of the machine weighs
 * on all of them); the medians of requests/s and of p99 per target.
 */
async function rounds(
  targets: Targets,
  host: string,
): Promise<{ by: Record<string, Measured>; errors: number }> {
  const present = Object.entries(targets).filter(
    (entry): entry is [string, string] => entry[1] !== undefined,
  );
  const runs = new Map<string, Load[]>(present.map(([name]) => [name, []]));
  for (const [, address] of present) await load(address, host); // warm-up
  for (let i = 0; i < ROUNDS; i++)
    for (const [name, address] of present) runs.get(name)?.push(await load(address, host));
  const by: Record<string, Measured> = {};
  let errors = 0;
  for (const [name, loads] of runs) {
    by[name] = {
      rps: percentile(
        loads.map((l) => l.rps),
        50,
      ),
      p99: percentile(
        loads.map((l) => l.p99),
        50,
      ),
    };
    errors += loads.reduce((sum, l) => sum + l.errors, 0);
  }
  return { by, errors };
}

/**
 * The target: a pushed app's instance on a real single node, direct vs through its router (and
 * through nginx, when installed, as a reference).
 */
async function throughInstance() {
  const node = await startSingleNode();
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  try {
    await node.grove(["push", example, "--name", "bench", "--stack", "node"]);
    const shown = JSON.parse(String((await node.grove(["apps", "show", "bench", "--json"])).stdout));
    const instance = shown.instances[0];
    const direct = `${instance.address}:${instance.ports[0].host_port}`;
    nginx = await startNginx(direct);
    return await rounds(
      { direct, router: `127.0.0.1:${node.routerPort}`, nginx: nginx && `127.0.0.1:${nginx.port}` },
      "bench.default.grove.localhost",
    );
  } finally {
    if (nginx) await stopChild(nginx.proc);
    await node.stop();
  }
}

/**
 * The reference: a bare Node server on loopback, direct vs the router as configured by default,
 * with GET/HEAD pipelining to the endpoint, and nginx.
 */
async function throughLoopback() {
  const nats = await startNats();
  const procs: ChildProcess[] = [];
  try {
    const backendPort = await freePort();
    const backend = spawn(
      process.execPath,
      [
        "-e",
        `require("http").createServer((q,s)=>s.end("hello")).listen(${backendPort},"127.0.0.1",()=>console.log("ready"))`,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    procs.push(backend);
    await waitForOutput(backend, /ready/, 10_000, "backend");
    const routerPorts: number[] = [];
    for (const depth of ["1", String(PIPELINE_DEPTH)]) {
      const port = await freePort();
      routerPorts.push(port);
      procs.push(
        await child(
          "apps/router/src/main.ts",
          {
            ...nats.env("router"),
            GROVE_ROUTER_HOST: "127.0.0.1",
            GROVE_ROUTER_PORT: String(port),
            GROVE_ROUTER_STATUS_PORT: String(await freePort()),
            GROVE_ROUTER_PIPELINE_DEPTH: depth,
            GROVE_LOG_LEVEL: "info",
          },
          /router listening/,
        ),
      );
    }
    const nc = await nats.connect();
    nc.publish(
      subjects.routerRegister,
      encode(RouteRegistration, { host: "127.0.0.1", port: backendPort, uris: [HOST] }),
    );
    await nc.flush();
    await nc.drain();
    for (const port of routerPorts) await waitForRoute(port);
    const nginx = await startNginx(`127.0.0.1:${backendPort}`);
    if (nginx) procs.push(nginx.proc);
    const [router, pipelined] = routerPorts.map((port) => `127.0.0.1:${port}`);
    return await rounds(
      { direct: `127.0.0.1:${backendPort}`, router, pipelined, nginx: nginx && `127.0.0.1:${nginx.port}` },
      HOST,
    );
  } finally {
    for (const p of procs) await stopChild(p);
    await nats.stop();
  }
}

/**
 * nginx as a reverse proxy to `upstream` with a keep-alive pool, the router's forwarding headers and
 * as many workers as the router has, when it is installed (infra/setup installs it): what a native proxy does here.
 */
async function startNginx(upstream: string) {
  const found = await execa("nginx", ["-v"], { reject: false }).catch(() => undefined);
  if (found?.exitCode !== 0) return undefined;
  const dir = await makeTempDir("bench-nginx-");
  const port = await freePort();
  const conf = join(dir.path, "nginx.conf");
  await writeFile(
    conf,
    `worker_processes ${WORKERS}; daemon off; pid ${dir.path}/nginx.pid; error_log ${dir.path}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir.path}/body; proxy_temp_path ${dir.path}/proxy;
  upstream backend { server ${upstream}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $remote_addr; proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $host; proxy_set_header X-Request-Id $request_id;
    }
  }
}
`,
  );
  const proc = spawn("nginx", ["-c", conf, "-p", dir.path], { stdio: ["ignore", "pipe", "pipe"] });
  proc.on("exit", () => void dir.remove());
  const deadline = Date.now() + 10_000;
  while ((await status(port)) !== 200) {
    if (Date.now() > deadline) throw new Error("nginx did not start serving");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { proc, port };
}

export async function main(): Promise<string> {
  const instance = await throughInstance();
  const loopback = await throughLoopback();
  const at = (m: Record<string, Measured>, name: string): Measured =>
    m[name] ?? { rps: Number.NaN, p99: Number.NaN };
  const ratio = (m: Record<string, Measured>, name: string) => at(m, name).rps / at(m, "direct").rps;
  const orMissing = (m: Record<string, Measured>, name: string) =>
    m[name] ? ratio(m, name) : "nginx not installed";
  const ofNginx = (m: Record<string, Measured>, name: string) =>
    m.nginx ? at(m, name).rps / m.nginx.rps : "nginx not installed";
  const i = instance.by;
  const l = loopback.by;
  return report(
    "router",
    [
      ["concurrency", CONCURRENCY],
      ["router workers", WORKERS],
      ["rounds (median of)", ROUNDS],
      ["instance: direct requests/s", at(i, "direct").rps],
      ["instance: direct p99 ms", at(i, "direct").p99],
      ["instance: router requests/s", at(i, "router").rps],
      ["instance: router p99 ms", at(i, "router").p99],
      ["ratio (router/direct)", ratio(i, "router")],
      [`instance: nginx (worker_processes ${WORKERS}) ratio`, orMissing(i, "nginx")],
      ["instance: router/nginx", ofNginx(i, "router")],
      ["target", "router/nginx >= 0.9"],
      ["bare loopback server: direct requests/s", at(l, "direct").rps],
      ["bare loopback server: router ratio", ratio(l, "router")],
      [`bare loopback server: router pipelining ${PIPELINE_DEPTH} deep, ratio`, ratio(l, "pipelined")],
      [`bare loopback server: nginx (worker_processes ${WORKERS}) ratio`, orMissing(l, "nginx")],
      ["bare loopback server: router/nginx", ofNginx(l, "router")],
    ],
    {
      concurrency: CONCURRENCY,
      duration_ms: DURATION_MS,
      rounds: ROUNDS,
      router_workers: WORKERS,
      direct_rps: at(i, "direct").rps,
      direct_p99_ms: at(i, "direct").p99,
      router_rps: at(i, "router").rps,
      router_p99_ms: at(i, "router").p99,
      ratio: ratio(i, "router"),
      nginx_rps: i.nginx?.rps ?? null,
      ratio_nginx: i.nginx ? ratio(i, "nginx") : null,
      router_over_nginx: i.nginx ? at(i, "router").rps / i.nginx.rps : null,
      reference_loopback: {
        direct_rps: at(l, "direct").rps,
        router_rps: at(l, "router").rps,
        ratio: ratio(l, "router"),
        pipeline_depth: PIPELINE_DEPTH,
        router_pipelined_rps: at(l, "pipelined").rps,
        ratio_pipelined: ratio(l, "pipelined"),
        nginx_rps: l.nginx?.rps ?? null,
        ratio_nginx: l.nginx ? ratio(l, "nginx") : null,
        router_over_nginx: l.nginx ? at(l, "router").rps / l.nginx.rps : null,
      },
      errors: instance.errors + loopback.errors,
    },
  );
}

async function waitForRoute(port: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if ((await status(port)) === 200) return;
    if (Date.now() > deadline) throw new Error("route never became reachable through the router");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function status(port: number): Promise<number> {
  return new Promise<number>((resolve) => {
    request({ host: "127.0.0.1", port, headers: { host: HOST } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on("error", () => resolve(0))
      .end();
  });
}
