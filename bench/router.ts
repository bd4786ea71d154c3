/**
 * Router throughput: requests/s and p99 latency through the router vs straight to the instance,
 * measured in the same run with the same keep-alive client. The backend and the router run in their
 * own processes; the load comes from `wrk`. Target: ratio ≥ 0.7. The router runs twice: as
 * configured by default, and with GET/HEAD pipelining to the endpoint (GROVE_ROUTER_PIPELINE_DEPTH).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { encode, RouteRegistration, subjects } from "@grove/protocol";
import { freePort, startNats, stopChild, waitForOutput } from "@grove/testkit/services";
import { connect } from "@nats-io/transport-node";
import { execa } from "execa";
import { report } from "./lib";

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const HOST = "bench.grove.localhost";
const PIPELINE_DEPTH = 16;

/**
 * Load from `wrk` (C, epoll): a Node load generator would take a large share of this machine's two
 * cores and hide the router's own cost. Falls back to an error naming the package when it is missing.
 */
async function load(port: number, host: string) {
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
      `http://127.0.0.1:${port}/`,
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

export async function main(): Promise<string> {
  const nats = await startNats();
  const backendPort = await freePort();
  const routerPort = await freePort();
  const procs: ChildProcess[] = [];
  try {
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
    // The router as configured by default, and with GET/HEAD pipelining to endpoints switched on.
    const pipelinedPort = await freePort();
    for (const [port, depth] of [
      [routerPort, "1"],
      [pipelinedPort, String(PIPELINE_DEPTH)],
    ] as const) {
      procs.push(
        await child(
          "apps/router/src/main.ts",
          {
            NATS_URL: nats.url,
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
    const nc = await connect({ servers: nats.url });
    nc.publish(
      subjects.routerRegister,
      encode(RouteRegistration, { host: "127.0.0.1", port: backendPort, uris: [HOST] }),
    );
    await nc.flush();
    await nc.drain();
    await waitForRoute(routerPort);
    await waitForRoute(pipelinedPort);
    await load(backendPort, HOST); // warm-up
    const direct = await load(backendPort, HOST);
    const routed = await load(routerPort, HOST);
    const pipelined = await load(pipelinedPort, HOST);
    const ratio = routed.rps / direct.rps;
    return report(
      "router",
      [
        ["concurrency", CONCURRENCY],
        ["direct requests/s", direct.rps],
        ["direct p99 ms", direct.p99],
        ["router requests/s", routed.rps],
        ["router p99 ms", routed.p99],
        ["ratio (router/direct)", ratio],
        ["target", "ratio >= 0.7"],
        [`router, pipelining ${PIPELINE_DEPTH} deep, requests/s`, pipelined.rps],
        ["router, pipelining, p99 ms", pipelined.p99],
        ["ratio with pipelining", pipelined.rps / direct.rps],
      ],
      {
        concurrency: CONCURRENCY,
        duration_ms: DURATION_MS,
        direct_rps: direct.rps,
        direct_p99_ms: direct.p99,
        router_rps: routed.rps,
        router_p99_ms: routed.p99,
        ratio,
        pipeline_depth: PIPELINE_DEPTH,
        router_pipelined_rps: pipelined.rps,
        router_pipelined_p99_ms: pipelined.p99,
        ratio_pipelined: pipelined.rps / direct.rps,
        errors: direct.errors + routed.errors + pipelined.errors,
      },
    );
  } finally {
    for (const p of procs) await stopChild(p);
    await nats.stop();
  }
}

async function waitForRoute(port: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      request({ host: "127.0.0.1", port, headers: { host: HOST } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on("error", () => resolve(0))
        .end();
    });
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error("route never became reachable through the router");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
