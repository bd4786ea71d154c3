import { rm, stat } from "node:fs/promises";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import type { Garden } from "@grove/garden";
import type { Logger } from "pino";
import { MalformedRequest } from "./errors";
import { serveHijacked } from "./hijack/hijacked-routes";
import { writeRawError } from "./hijack/raw-response";
import { StreamRegistry } from "./hijack/streams";
import { createHttpServer } from "./http/http-server";
import { readRequestHead } from "./request-head";
import { hijackedRoutes, matchRoute } from "./routes";

export interface GardenServerOptions {
  garden: Garden;
  log: Logger;
  /** how long a connection may take to send its request head (default 60 s) */
  headTimeoutMs?: number;
  /** how long a stream id stays valid after its Run/Attach connection ended (default 60 s) */
  streamLingerMs?: number;
}

export type ListenOptions = { socketPath: string } | { host: string; port: number };

export interface GardenServer {
  /** Starts serving; resolves with the socket path or the bound TCP address. */
  listen(options: ListenOptions): Promise<string | AddressInfo>;
  /**
   * Stops accepting connections and drops the open ones (Run/Attach clients see their stream
   * end without an exit status). The runtime, its containers and processes are left alone.
   */
  close(): Promise<void>;
}

/**
 * A Garden wire-compatible server over a runtime. It reads each connection's request head
 * itself: Run, Attach and the stdout/stderr side streams are served on the raw socket the way
 * the reference's hijacked handlers do, everything else is handed to node:http.
 *
 * @example
 * const server = createGardenServer({ garden, log });
 * await server.listen({ socketPath: "/tmp/garden.sock" });
 */
export function createGardenServer(options: GardenServerOptions): GardenServer {
  const log = options.log.child({ component: "garden-server" });
  const streams = new StreamRegistry(options.streamLingerMs);
  const httpServer = createHttpServer({ garden: options.garden, log });
  const sockets = new Set<Socket>();
  const hijackCtx = { garden: options.garden, streams, log };
  let netServer: Server | undefined;

  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", (error) => log.debug({ err: error }, "connection error"));
    readRequestHead(socket, options.headTimeoutMs ?? 60_000).then(
      ({ head, raw, headLength }) => {
        const route = matchRoute(head.method, head.path);
        if (route && hijackedRoutes.has(route.name)) {
          void serveHijacked(hijackCtx, socket, head, route, raw.subarray(headLength));
          return;
        }
        socket.unshift(raw);
        httpServer.emit("connection", socket);
        socket.resume();
      },
      (error: Error) => {
        // A client that sent something gets an answer (as Go's server answers a bad head with
        // 400); one that sent nothing or went away has no one to answer.
        if (error instanceof MalformedRequest && !socket.destroyed && socket.writable) {
          log.debug({ err: error }, "answering a malformed request head");
          writeRawError(socket, error, 400);
          return;
        }
        log.debug({ err: error }, "dropping connection without a request");
        socket.destroy();
      },
    );
  };

  return {
    async listen(listenOptions) {
      if (netServer) throw new Error("garden server is already listening");
      const server = createServer({ allowHalfOpen: true }, onConnection);
      netServer = server;
      if ("socketPath" in listenOptions) await removeStaleSocket(listenOptions.socketPath);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        const ready = () => {
          server.off("error", reject);
          resolve();
        };
        if ("socketPath" in listenOptions) server.listen(listenOptions.socketPath, ready);
        else server.listen(listenOptions.port, listenOptions.host, ready);
      });
      server.on("error", (error) => log.error({ err: error }, "listener failed"));
      const address = server.address() ?? "";
      log.info({ address }, "listening");
      return address;
    },

    async close() {
      const server = netServer;
      netServer = undefined;
      const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      await closed;
      streams.clear();
      log.info("closed");
    },
  };
}

/** Like the reference, a leftover socket file from an earlier run is replaced. */
async function removeStaleSocket(path: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isSocket()) await rm(path);
}
