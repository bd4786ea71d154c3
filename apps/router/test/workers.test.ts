import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { encode, RouteRegistration, subjects } from "@grove/protocol";
import {
  describeWith,
  eventually,
  freePort,
  it,
  stopChild,
  type TestNats,
  waitForOutput,
} from "@grove/testkit";
import { afterEach, expect } from "vitest";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One request on a connection of its own (so the supervisor hands each to a worker in turn). */
function get(port: number, host: string, path = "/") {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

function childrenOf(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startWorkers(nats: TestNats, workers: number) {
  const port = await freePort();
  const statusPort = await freePort();
  const router: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")],
    {
      env: {
        ...process.env,
        ...nats.env("router"),
        GROVE_ROUTER_HOST: "127.0.0.1",
        GROVE_ROUTER_PORT: String(port),
        GROVE_ROUTER_STATUS_PORT: String(statusPort),
        GROVE_ROUTER_WORKERS: String(workers),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  cleanups.push(() => stopChild(router));
  await waitForOutput(router, /"router listening"/, 20_000, "router");
  router.stdout?.resume();
  router.stderr?.resume();
  return { router, port, statusPort, pid: router.pid as number };
}

async function backend() {
  const server: Server = createServer((_req, res) => res.end("from the backend"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return (server.address() as AddressInfo).port;
}

describeWith(["nats"], "router workers", () => {
  it("proxies from every worker, sums their metrics, and replaces a worker that dies", async ({ nats }) => {
    const { port, statusPort, pid } = await startWorkers(nats, 2);
    const backendPort = await backend();
    const nc = await nats.connect();
    cleanups.push(() => nc.drain());
    const register = () =>
      nc.publish(
        subjects.routerRegister,
        encode(RouteRegistration, { host: "127.0.0.1", port: backendPort, uris: ["web.test"] }),
      );
    // Every worker learns the route from its own subscription; until then some answer 404.
    await eventually(async () => {
      register();
      const answers = await Promise.all([1, 2, 3, 4].map(() => get(port, "web.test")));
      return answers.every((a) => a.status === 200);
    });
    expect(childrenOf(pid)).toHaveLength(2);

    const before = await get(statusPort, "status", "/metrics");
    const served = Number(before.body.match(/grove_router_requests_total\{status="2xx"\} (\d+)/)?.[1] ?? 0);
    for (let i = 0; i < 10; i++) expect((await get(port, "web.test")).body).toBe("from the backend");
    const metrics = (await get(statusPort, "status", "/metrics")).body;
    // Ten more requests, whichever worker served them; the table's size is one worker's, not a sum.
    expect(metrics).toContain(`grove_router_requests_total{status="2xx"} ${served + 10}\n`);
    expect(metrics).toMatch(/grove_router_endpoints 1\n/);
    expect((await get(statusPort, "status", "/readyz")).status).toBe(200);

    const [victim] = childrenOf(pid) as [number];
    process.kill(victim, "SIGKILL");
    await eventually(async () => !alive(victim));
    // Not ready while a worker is missing (it is replaced after a second).
    await eventually(async () => (await get(statusPort, "status", "/readyz")).status === 503);
    await eventually(async () => {
      const workers = childrenOf(pid);
      return workers.length === 2 && !workers.includes(victim);
    });
    // Ready again once the new worker runs its router; from then on both workers take connections.
    await eventually(async () => (await get(statusPort, "status", "/readyz")).status === 200);
    await eventually(async () => {
      register();
      const answers = await Promise.all([1, 2, 3, 4].map(() => get(port, "web.test")));
      return answers.every((a) => a.status === 200);
    });
  });

  it("stops every worker when it is told to stop", async ({ nats }) => {
    const { router, port, pid } = await startWorkers(nats, 3);
    const workers = childrenOf(pid);
    expect(workers).toHaveLength(3);
    expect((await get(port, "nothing.test")).status).toBe(404);
    await stopChild(router, "SIGTERM");
    expect(router.exitCode).toBe(0);
    await eventually(async () => workers.every((worker) => !alive(worker)));
  });

  it("fails to start, leaving no worker behind, when its workers cannot start", async () => {
    const router = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../src/main.ts")], {
      env: {
        ...process.env,
        NATS_URL: `nats://127.0.0.1:${await freePort()}`, // nothing listens there
        GROVE_ROUTER_HOST: "127.0.0.1",
        GROVE_ROUTER_PORT: String(await freePort()),
        GROVE_ROUTER_STATUS_PORT: String(await freePort()),
        GROVE_ROUTER_WORKERS: "2",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    cleanups.push(() => stopChild(router, "SIGKILL"));
    let output = "";
    router.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    const workers = new Set<number>();
    const watch = setInterval(() => {
      if (router.exitCode === null) for (const pid of childrenOf(router.pid as number)) workers.add(pid);
    }, 20);
    const code = await new Promise<number | null>((resolve) => router.once("exit", resolve));
    clearInterval(watch);
    expect(code).toBe(1);
    expect(output).toMatch(/"router failed to start"/);
    expect(output).not.toMatch(/"router listening"/);
    expect(workers.size).toBeGreaterThan(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
  });

  it("takes its workers down with it when the supervisor is killed", async ({ nats }) => {
    const { router, pid } = await startWorkers(nats, 2);
    const workers = childrenOf(pid);
    expect(workers).toHaveLength(2);
    await stopChild(router, "SIGKILL");
    await eventually(async () => workers.every((worker) => !alive(worker)));
  });
});
