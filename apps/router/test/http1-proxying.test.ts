import { createHash, randomBytes } from "node:crypto";
import { type IncomingHttpHeaders, request, type ServerResponse } from "node:http";
import { describeWith, freePort, it } from "@grove/testkit";
import { expect } from "vitest";
import {
  httpBackend,
  onCleanup,
  rawClient,
  registerRoute,
  startTestRouter,
  tcpBackend,
  until,
} from "./fixtures";

const MiB = 1024 * 1024;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function send(port: number, host: string, path = "/", body?: Buffer, headers: Record<string, string> = {}) {
  return new Promise<Reply>((resolve, reject) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path,
      method: body ? "POST" : "GET",
      headers: { host, ...headers },
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

/** Writes `total` bytes of `chunk` to `res`, waiting for "drain" when asked to; `state` shows progress. */
function writeLarge(res: ServerResponse, chunk: Buffer, total: number) {
  const state = { written: 0, blocked: false, finished: false };
  const pump = () => {
    state.blocked = false;
    while (state.written < total) {
      state.written += chunk.length;
      if (!res.write(chunk)) {
        state.blocked = true;
        res.once("drain", pump);
        return;
      }
    }
    res.end(() => {
      state.finished = true;
    });
  };
  pump();
  return state;
}

/**
 * Backpressure, observed: a sender held back by the router comes to a stop, its count of bytes
 * sent unchanged over 20 round trips through the router (which an unthrottled router would have
 * used to read on). Returns that count; fails if the sender never stops.
 */
async function cameToAStop(sent: () => number, blocked: () => boolean, roundTrip: () => Promise<Reply>) {
  let last = -1;
  let steady = 0;
  for (let trips = 0; steady < 20; trips++) {
    if (trips > 2_000) throw new Error(`the sender never came to a stop (${sent()} bytes sent)`);
    expect((await roundTrip()).status).toBe(200);
    steady = sent() === last && blocked() ? steady + 1 : 0;
    last = sent();
  }
  return last;
}

describeWith(["nats"], "router proxying", () => {
  it("streams an 8 MiB upload to the endpoint and its 8 MiB echo back intact", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((req, res) => {
      res.writeHead(200, { "content-length": req.headers["content-length"] });
      req.pipe(res);
    });
    await registerRoute(nc, router, web.port, "echo.test");
    const body = randomBytes(8 * MiB);
    const reply = await send(router.port, "echo.test", "/echo", body);
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(body.length);
    expect(sha(reply.body)).toBe(sha(body));
  });

  it("holds a large response back while the client does not read, then delivers all of it", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats);
    const total = 64 * MiB;
    const chunk = randomBytes(64 * 1024);
    let progress: ReturnType<typeof writeLarge> | undefined;
    const web = await httpBackend((req, res) => {
      if (req.url === "/ping") return void res.end("pong");
      res.writeHead(200, { "content-length": total });
      progress = writeLarge(res, chunk, total);
    });
    await registerRoute(nc, router, web.port, "large.test");
    const client = await rawClient(router.port);
    client.socket.pause();
    client.send("GET /large HTTP/1.1\r\nHost: large.test\r\n\r\n");
    const held = await cameToAStop(
      () => progress?.written ?? 0,
      () => progress?.blocked === true,
      () => send(router.port, "large.test", "/ping"),
    );
    expect(progress?.finished).toBe(false);
    expect(held).toBeLessThan(total / 2);

    let received = 0;
    const hash = createHash("sha256");
    let headDone = false;
    client.socket.removeAllListeners("data");
    client.socket.on("data", (data: Buffer) => {
      let body = data;
      if (!headDone) {
        const end = data.indexOf("\r\n\r\n");
        body = data.subarray(end + 4);
        headDone = true;
      }
      received += body.length;
      hash.update(body);
    });
    client.socket.resume();
    await until(() => received === total, 30_000, "the whole body at the client");
    const expected = createHash("sha256");
    for (let i = 0; i < total / chunk.length; i++) expected.update(chunk);
    expect(hash.digest("hex")).toBe(expected.digest("hex"));
  });

  it("holds a large upload back while the endpoint does not read, then delivers all of it", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats);
    const total = 64 * MiB;
    const chunk = randomBytes(64 * 1024);
    let upload: { resume(): void; received: number; hash: string } | undefined;
    const web = await httpBackend((req, res) => {
      if (req.url === "/ping") return void res.end("pong");
      req.pause();
      const hash = createHash("sha256");
      const state = { received: 0, hash: "", resume: () => req.resume() };
      req.on("data", (data: Buffer) => {
        state.received += data.length;
        hash.update(data);
      });
      req.on("end", () => {
        state.hash = hash.digest("hex");
        res.end(`${state.received}`);
      });
      upload = state;
    });
    await registerRoute(nc, router, web.port, "upload.test");
    const req = request({
      host: "127.0.0.1",
      port: router.port,
      path: "/upload",
      method: "PUT",
      headers: { host: "upload.test", "content-length": total },
    });
    const reply = new Promise<string>((resolve, reject) => {
      req.on("response", (res) => {
        let body = "";
        res.on("data", (data) => {
          body += data;
        });
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
    });
    const sent = { bytes: 0, blocked: false };
    const pump = () => {
      sent.blocked = false;
      while (sent.bytes < total) {
        sent.bytes += chunk.length;
        if (!req.write(chunk)) {
          sent.blocked = true;
          req.once("drain", pump);
          return;
        }
      }
      req.end();
    };
    req.flushHeaders();
    await until(() => upload !== undefined, 5_000, "the request at the endpoint");
    pump();
    const held = await cameToAStop(
      () => sent.bytes,
      () => sent.blocked,
      () => send(router.port, "upload.test", "/ping"),
    );
    expect(held).toBeLessThan(total / 2);
    upload?.resume();
    expect(await reply).toBe(String(total));
    const expected = createHash("sha256");
    for (let i = 0; i < total / chunk.length; i++) expected.update(chunk);
    expect(upload?.hash).toBe(expected.digest("hex"));
  });

  for (const maxPipeline of [1, 16]) {
    it(`keeps the requests of many concurrent clients apart on shared endpoint connections (pipeline depth ${maxPipeline})`, async ({
      nats,
    }) => {
      const { router, nc } = await startTestRouter(nats, { maxPipeline });
      const web = await httpBackend((req, res) => {
        setTimeout(() => res.end(`for ${req.url}`), Math.floor(Math.random() * 5));
      });
      await registerRoute(nc, router, web.port, "many.test");
      const abandoned = Array.from({ length: 8 }, (_, i) => {
        const req = request({
          host: "127.0.0.1",
          port: router.port,
          path: `/gone${i}`,
          headers: { host: "many.test" },
        });
        req.on("error", () => undefined);
        req.end(() => req.destroy());
        return req;
      });
      const replies = await Promise.all(
        Array.from({ length: 64 }, (_, i) => send(router.port, "many.test", `/${i}`)),
      );
      expect(replies.map((r) => r.body.toString())).toEqual(replies.map((_, i) => `for /${i}`));
      expect(new Set(replies.map((r) => r.headers["x-request-id"])).size).toBe(64);
      expect(abandoned.every((req) => req.destroyed)).toBe(true);
      expect((await send(router.port, "many.test", "/after")).body.toString()).toBe("for /after");
    });
  }

  for (const maxPipeline of [1, 16]) {
    it(`does not hold a request behind another client's response that does not come (pipeline depth ${maxPipeline})`, async ({
      nats,
    }) => {
      const { router, nc } = await startTestRouter(nats, { maxPipeline });
      const web = await httpBackend((req, res) => {
        if (req.url === "/fast") res.end("fast");
        else onCleanup(() => void res.destroy());
      });
      await registerRoute(nc, router, web.port, "stall.test");
      const slow = await rawClient(router.port);
      const fast = await rawClient(router.port);
      slow.send("GET /slow HTTP/1.1\r\nHost: stall.test\r\n\r\n");
      fast.send("GET /fast HTTP/1.1\r\nHost: stall.test\r\n\r\n");
      await fast.receive((r) => r.endsWith("\r\n\r\nfast"), "the fast response");
      expect(slow.received).toBe("");
    });
  }

  for (const maxPipeline of [1, 16]) {
    it(`sends a request again when the endpoint closes the kept-alive connection under it (pipeline depth ${maxPipeline})`, async ({
      nats,
    }) => {
      const { router, nc } = await startTestRouter(nats, { maxPipeline });
      const web = await tcpBackend((socket) => {
        const connection = web.connections;
        let requests = 0;
        socket.on("data", () => {
          requests += 1;
          if (requests === 1) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nconn-${connection}`);
          else socket.destroy();
        });
      });
      await registerRoute(nc, router, web.port, "race.test");
      const first = await send(router.port, "race.test");
      const second = await send(router.port, "race.test");
      expect([first.status, first.body.toString()]).toEqual([200, "conn-1"]);
      expect([second.status, second.body.toString()]).toEqual([200, "conn-2"]);
    });
  }

  it("adds X-Forwarded-For to a prior value, keeps X-Forwarded-Proto and drops hop-by-hop headers", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats);
    let seen: IncomingHttpHeaders = {};
    const web = await httpBackend((req, res) => {
      seen = req.headers;
      res.setHeader("x-request-id", "the-endpoint-s");
      res.end("ok");
    });
    await registerRoute(nc, router, web.port, "headers.test");
    const reply = await send(router.port, "headers.test", "/", undefined, {
      "x-forwarded-for": "10.0.0.1",
      "x-forwarded-proto": "https",
      connection: "keep-alive, x-secret",
      "x-secret": "s",
      "keep-alive": "timeout=5",
      te: "trailers",
    });
    expect(seen["x-forwarded-for"]).toBe("10.0.0.1, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-forwarded-host"]).toBe("headers.test");
    expect(seen["x-secret"]).toBeUndefined();
    expect(seen["keep-alive"]).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(reply.headers["x-request-id"]).toBe(seen["x-request-id"]);
    expect(reply.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("opens no more connections to an instance than the cap; further requests wait for one", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats, { maxConnections: 2 });
    const held: Array<() => void> = [];
    const sockets = new Set<unknown>();
    const web = await httpBackend((req, res) => {
      sockets.add(req.socket);
      held.push(() => res.end(`done ${req.url}`));
    });
    await registerRoute(nc, router, web.port, "capped.test");
    const replies = Promise.all([1, 2, 3].map((i) => send(router.port, "capped.test", `/${i}`)));
    await until(() => held.length === 2, 5_000, "two requests at the instance");
    // the third waits for a connection: nothing more arrives while both are busy
    await new Promise((resolve) => setImmediate(resolve));
    expect(held.length).toBe(2);
    held.shift()?.();
    await until(() => held.length === 2, 5_000, "the third request on the freed connection");
    for (const release of held.splice(0)) release();
    expect((await replies).map((r) => r.body.toString())).toEqual(["done /1", "done /2", "done /3"]);
    expect(sockets.size).toBe(2);
  });

  it("answers 502 naming the route when an instance takes the request and never answers", async ({
    nats,
  }) => {
    const { router, nc } = await startTestRouter(nats, { responseTimeoutMs: 300 });
    const web = await tcpBackend(() => {
      // reads the request and says nothing
    });
    await registerRoute(nc, router, web.port, "silent.test");
    const started = performance.now();
    const reply = await send(router.port, "silent.test");
    expect(reply.status).toBe(502);
    expect(reply.body.toString()).toBe("Instance of route 'silent.test' failed: no response within 0.3 s\n");
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
  });

  it("closes client connections idle longer than the keep-alive timeout", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats, { clientIdleMs: 200 });
    const web = await httpBackend((_req, res) => res.end("ok"));
    await registerRoute(nc, router, web.port, "idle.test");
    const client = await rawClient(router.port);
    client.send("GET / HTTP/1.1\r\nHost: idle.test\r\n\r\n");
    await client.receive((r) => r.endsWith("ok"));
    expect(await client.close()).toMatch(/^HTTP\/1\.1 200 OK/);
  });

  it("closes tunnels and client connections when the router closes", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((_req, res) => res.end("ok"));
    web.server.on("upgrade", (_req, socket) => {
      onCleanup(() => void socket.destroy());
      socket.write("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
      socket.on("data", (data) => socket.write(data));
      socket.on("error", () => undefined);
    });
    await registerRoute(nc, router, web.port, "shut.test");
    const tunnel = await rawClient(router.port);
    tunnel.send("GET / HTTP/1.1\r\nHost: shut.test\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n");
    await tunnel.receive((r) => r.includes("101 Switching Protocols"));
    tunnel.send("ping");
    await tunnel.receive((r) => r.endsWith("ping"));
    const idle = await rawClient(router.port);
    await router.close();
    await Promise.all([tunnel.close(), idle.close()]);
  });

  it("counts responses by class, retries and durations for /metrics", async ({ nats }) => {
    const { router, nc } = await startTestRouter(nats);
    const web = await httpBackend((_req, res) => res.end("ok"));
    await registerRoute(nc, router, await freePort(), "metrics.test");
    await registerRoute(nc, router, web.port, "metrics.test");
    for (let i = 0; i < 4; i++) expect((await send(router.port, "metrics.test")).status).toBe(200);
    expect((await send(router.port, "unknown.test")).status).toBe(404);
    const metrics = (await send(router.statusPort ?? 0, "status", "/metrics")).body.toString();
    expect(metrics).toMatch(/grove_router_requests_total\{status="2xx"\} 4\n/);
    expect(metrics).toMatch(/grove_router_requests_total\{status="4xx"\} 1\n/);
    expect(metrics).toMatch(/grove_router_retries_total 2\n/);
    expect(metrics).toMatch(/grove_router_request_duration_seconds_count 4\n/);
    expect(metrics).toMatch(/grove_router_request_duration_seconds_bucket\{le="\+Inf"\} 4\n/);
  });
});
