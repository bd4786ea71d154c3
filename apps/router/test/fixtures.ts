import { createServer, type RequestListener, type Server } from "node:http";
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from "node:net";
import { encode, RouteRegistration, subjects } from "@grove/protocol";
import type { TestNats } from "@grove/testkit";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterEach } from "vitest";
import { type RouterOptions, type RunningRouter, startRouter } from "../src";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs `cleanup` after the current test, in reverse order of registration. */
export function onCleanup(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

/** A router on an ephemeral port with its own NATS connection for registering routes. */
export async function startTestRouter(
  nats: TestNats,
  proxy: RouterOptions["proxy"] = {},
): Promise<{ router: RunningRouter; nc: NatsConnection }> {
  const log = pino({ level: "silent" });
  const router = await startRouter({
    nats: nats.access("router"),
    log,
    host: "127.0.0.1",
    port: 0,
    statusPort: 0,
    proxy,
  });
  onCleanup(() => router.close());
  const nc = await nats.connect();
  onCleanup(() => nc.drain());
  return { router, nc };
}

export async function registerRoute(nc: NatsConnection, router: RunningRouter, port: number, uri: string) {
  const before = router.table.size.endpoints;
  nc.publish(subjects.routerRegister, encode(RouteRegistration, { host: "127.0.0.1", port, uris: [uri] }));
  await until(() => router.table.size.endpoints > before);
}

/** Polls `condition` every 5 ms; fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what} not met in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An HTTP endpoint on an ephemeral port, closed after the test. */
export async function httpBackend(handler: RequestListener): Promise<{ port: number; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { port: (server.address() as AddressInfo).port, server };
}

/** A raw TCP endpoint, for endpoints that misbehave in ways an HTTP server library will not. */
export async function tcpBackend(
  onConnection: (socket: Socket) => void,
): Promise<{ port: number; connections: number }> {
  const sockets = new Set<Socket>();
  const state = { port: 0, connections: 0 };
  const server = createTcpServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanup(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  state.port = (server.address() as AddressInfo).port;
  return state;
}

/** A client speaking raw bytes: what it received (latin1) and whether the router closed it. */
export interface RawClient {
  socket: Socket;
  readonly received: string;
  readonly closed: boolean;
  send(bytes: string | Buffer): void;
  /** waits until the received bytes satisfy `condition` (or the connection closes, then fails) */
  receive(condition: (received: string) => boolean, what?: string): Promise<string>;
  /** waits for the router to close the connection */
  close(): Promise<string>;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = connect(port, "127.0.0.1");
  onCleanup(() => void socket.destroy());
  let received = "";
  let closed = false;
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString("latin1");
  });
  socket.on("error", () => undefined);
  const closedPromise = new Promise<void>((resolve) =>
    socket.on("close", () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  return {
    socket,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    send(bytes) {
      socket.write(bytes);
    },
    async receive(condition, what = "response") {
      await until(() => condition(received) || closed, 5_000, what);
      if (!condition(received))
        throw new Error(`connection closed before ${what}; got ${JSON.stringify(received)}`);
      return received;
    },
    async close() {
      await Promise.race([
        closedPromise,
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error("router did not close the connection")), 5_000),
        ),
      ]);
      return received;
    },
  };
}

/** The responses in `received`, split where each status line starts. */
export function responses(received: string): string[] {
  return received.split(/(?=HTTP\/1\.1 \d{3} )/).filter(Boolean);
}
