import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo, Server } from "node:net";

export interface StatusSource {
  /** the Prometheus text exposition and its content type */
  metrics(): Promise<{ contentType: string; text: string }>;
  /** why the process is not ready, or undefined when it is */
  notReady(): Promise<string | undefined>;
}

/** A service's status endpoints: /metrics, /livez and /readyz (the router's and the agent's). */
export function createStatusServer(source: StatusSource): HttpServer {
  return createServer(async (req, res) => {
    try {
      if (req.url === "/metrics") {
        const { contentType, text } = await source.metrics();
        res.writeHead(200, { "content-type": contentType }).end(text);
      } else if (req.url === "/livez") {
        res.end("ok\n");
      } else if (req.url === "/readyz") {
        const reason = await source.notReady();
        res.writeHead(reason ? 503 : 200).end(reason ? `${reason}\n` : "ok\n");
      } else {
        res.writeHead(404).end("not found\n");
      }
    } catch (error) {
      res.writeHead(500).end(`${(error as Error).message}\n`);
    }
  });
}

/** Starts the status endpoints on host:port (0: any free port) and answers the port they got. */
export async function serveStatus(
  source: StatusSource,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createStatusServer(source);
  await listen(server, host, port);
  return { port: portOf(server), close: () => closeServer(server) };
}

export function listen(server: Server | HttpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

export function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    if ("closeAllConnections" in server) server.closeAllConnections();
  });
}

export function portOf(server: Server | HttpServer): number {
  return (server.address() as AddressInfo).port;
}
