import { createServer, type IncomingHttpHeaders, request, type Server } from "node:http";
import { type AddressInfo, connect as tcpConnect } from "node:net";
import { encode, RouteRegistration, RouterStart, subjects } from "@grove/protocol";
import { describeWith, freePort, it, type TestNats } from "@grove/testkit";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterEach, expect } from "vitest";
import { type RunningRouter, startRouter } from "../src";

const log = pino({ level: "silent" });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function backend(name: string): Promise<{ port: number; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.end(`${name} ${req.method} ${req.url}`);
  });
  server.on("upgrade", (_req, socket) => {
    cleanups.push(() => void socket.destroy());
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
    socket.on("data", (data) => socket.write(`${name}:${data}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => closeServer(server));
  return { port: (server.address() as AddressInfo).port, seen };
}

function closeServer(server: Server) {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function setup(nats: TestNats, extra: { pruneThresholdSeconds?: number } = {}) {
  const router = await startRouter({
    nats: nats.access("router"),
    log,
    host: "127.0.0.1",
    port: 0,
    statusPort: 0,
    ...extra,
  });
  cleanups.push(() => router.close());
  const nc = await nats.connect();
  cleanups.push(() => nc.drain());
  return { router, nc };
}

async function registerAndWait(nc: NatsConnection, router: RunningRouter, port: number, uri: string) {
  const before = router.table.size.endpoints;
  nc.publish(
    subjects.routerRegister,
    encode(RouteRegistration, { host: "127.0.0.1", port, uris: [uri], app: "web" }),
  );
  await until(() => router.table.size.endpoints > before);
}

async function until(condition: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function get(port: number, host: string, path = "/", headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers: { host, ...headers } }, (res) => {
      let body = "";
      res.on("data", (chunk) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describeWith(["nats"], "router", () => {
  it("proxies by Host header with X-Forwarded-* and X-Request-Id", async ({ nats }) => {
    const { router, nc } = await setup(nats);
    const web = await backend("web");
    await registerAndWait(nc, router, web.port, "web.default.grove.localhost");
    const res = await get(router.port, "web.default.grove.localhost:8080", "/hello?x=1");
    expect(res.status).toBe(200);
    expect(res.body).toBe("web GET /hello?x=1");
    expect(res.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const seen = web.seen[0];
    expect(seen?.["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen?.["x-forwarded-proto"]).toBe("http");
    expect(seen?.["x-forwarded-host"]).toBe("web.default.grove.localhost:8080");
    expect(seen?.["x-request-id"]).toBe(res.headers["x-request-id"]);
    const kept = await get(router.port, "web.default.grove.localhost", "/", { "x-request-id": "abc-123" });
    expect(kept.headers["x-request-id"]).toBe("abc-123");
  });

  it("spreads requests round-robin over the instances of a route", async ({ nats }) => {
    const { router, nc } = await setup(nats);
    const a = await backend("a");
    const b = await backend("b");
    await registerAndWait(nc, router, a.port, "rr.example.test");
    await registerAndWait(nc, router, b.port, "rr.example.test");
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await get(router.port, "rr.example.test")).body.split(" ")[0]);
    expect(bodies.sort()).toEqual(["a", "a", "b", "b"]);
  });

  it("retries another instance when one refuses the connection", async ({ nats }) => {
    const { router, nc } = await setup(nats);
    const live = await backend("live");
    const dead = await freePort();
    await registerAndWait(nc, router, dead, "retry.example.test");
    await registerAndWait(nc, router, live.port, "retry.example.test");
    for (let i = 0; i < 4; i++) {
      const res = await get(router.port, "retry.example.test");
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/^live/);
    }
  });

  it("answers 404 naming an unknown route and 502 naming a route none of whose instances answer", async ({
    nats,
  }) => {
    const { router, nc } = await setup(nats);
    const unknown = await get(router.port, "nope.example.test");
    expect(unknown.status).toBe(404);
    expect(unknown.body).toContain("nope.example.test");
    await registerAndWait(nc, router, await freePort(), "down.example.test");
    const down = await get(router.port, "down.example.test");
    expect(down.status).toBe(502);
    expect(down.body).toContain("down.example.test");
  });

  it("forgets unregistered instances and prunes instances that stop registering", async ({ nats }) => {
    const { router, nc } = await setup(nats, { pruneThresholdSeconds: 1 });
    const web = await backend("web");
    await registerAndWait(nc, router, web.port, "gone.example.test");
    nc.publish(
      subjects.routerUnregister,
      encode(RouteRegistration, { host: "127.0.0.1", port: web.port, uris: ["gone.example.test"] }),
    );
    await until(() => router.table.size.endpoints === 0);
    expect((await get(router.port, "gone.example.test")).status).toBe(404);
    await registerAndWait(nc, router, web.port, "stale.example.test");
    expect((await get(router.port, "stale.example.test")).status).toBe(200);
    await until(() => router.table.size.endpoints === 0, 5_000);
    expect((await get(router.port, "stale.example.test")).status).toBe(404);
  });

  it("answers router.greet with its register interval and prune threshold", async ({ nats }) => {
    const { nc } = await setup(nats);
    const reply = await nc.request(subjects.routerGreet, "", { timeout: 2_000 });
    const start = RouterStart.schema.parse(reply.json());
    expect(start.minimumRegisterIntervalInSeconds).toBe(20);
    expect(start.pruneThresholdInSeconds).toBe(120);
  });

  it("proxies WebSocket-style upgrades both ways", async ({ nats }) => {
    const { router, nc } = await setup(nats);
    const ws = await backend("ws");
    await registerAndWait(nc, router, ws.port, "ws.example.test");
    const socket = tcpConnect(router.port, "127.0.0.1");
    cleanups.push(() => void socket.destroy());
    let received = "";
    socket.on("data", (d) => {
      received += d;
    });
    socket.write(
      "GET /chat HTTP/1.1\r\nHost: ws.example.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n",
    );
    await until(() => received.includes("101 Switching Protocols"));
    socket.write("ping");
    await until(() => received.includes("ws:ping"));
  });

  it("counts and drops invalid route messages and keeps serving", async ({ nats }) => {
    const { router, nc } = await setup(nats);
    nc.publish(subjects.routerRegister, "not json");
    nc.publish(subjects.routerRegister, JSON.stringify({ host: "127.0.0.1", port: "x", uris: [] }));
    const web = await backend("web");
    await registerAndWait(nc, router, web.port, "ok.example.test");
    expect((await get(router.port, "ok.example.test")).status).toBe(200);
    const metrics = await get(router.statusPort ?? 0, "status", "/metrics");
    expect(metrics.body).toMatch(/grove_router_rejected_messages_total 2/);
    expect(metrics.body).toMatch(/grove_router_requests_total\{status="2xx"\} 1/);
    expect((await get(router.statusPort ?? 0, "status", "/readyz")).status).toBe(200);
  });
});
