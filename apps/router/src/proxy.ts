import { randomUUID } from "node:crypto";
import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";
import type { RouterMetrics } from "./metrics";
import type { Endpoint, RouteTable } from "./route-table";

/** Errors that mean "this endpoint did not take the request": safe to try another one. */
const RETRYABLE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "ECONNRESET"]);
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
];

export interface ProxyOptions {
  table: RouteTable;
  log: Logger;
  metrics: RouterMetrics;
  /** ms to wait for a TCP connection to an endpoint before trying the next */
  connectTimeoutMs?: number;
}

/**
 * The request handler and upgrade handler of the router: picks endpoints round-robin, forwards with
 * X-Forwarded-* and X-Request-Id, retries the next endpoint when one refuses the connection, and
 * answers 404 (unknown route) or 502 (no endpoint answered) with a short body naming the route.
 */
export function createProxy(options: ProxyOptions) {
  const { table, log, metrics } = options;
  const connectTimeoutMs = options.connectTimeoutMs ?? 5_000;
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64 });
  /** upgraded connections are no longer the http server's: closed by close() */
  const tunnels = new Set<Duplex>();
  const track = (socket: Duplex) => {
    tunnels.add(socket);
    socket.once("close", () => tunnels.delete(socket));
  };

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    const requestId = headerValue(req.headers["x-request-id"]) ?? randomUUID();
    res.setHeader("x-request-id", requestId);
    const hostHeader = req.headers.host ?? "";
    const found = table.lookup(hostHeader, req.url ?? "/");
    if (!found) {
      finish(res, 404, `Requested route ('${hostHeader}') does not exist.\n`);
      return;
    }
    const headers = forwardedHeaders(req, requestId);
    const attempt = (index: number) => {
      const endpoint = found.endpoints[index];
      if (!endpoint) {
        finish(res, 502, `No instance of route '${found.route}' answered.\n`);
        return;
      }
      const upstream = httpRequest({
        host: endpoint.host,
        port: endpoint.port,
        method: req.method,
        path: req.url,
        headers,
        agent,
        timeout: connectTimeoutMs,
      });
      let sent = false;
      upstream.on("socket", (socket: Socket) => {
        const send = () => {
          sent = true;
          upstream.setTimeout(0);
          req.pipe(upstream);
        };
        if (socket.connecting) socket.once("connect", send);
        else send();
      });
      upstream.on("timeout", () =>
        upstream.destroy(Object.assign(new Error("connect timeout"), { code: "ETIMEDOUT" })),
      );
      upstream.on("response", (upstreamRes) => {
        metrics.duration.observe(Number(process.hrtime.bigint() - started) / 1e9);
        metrics.requests.inc({ status: `${Math.floor((upstreamRes.statusCode ?? 500) / 100)}xx` });
        res.writeHead(
          upstreamRes.statusCode ?? 502,
          upstreamRes.statusMessage,
          stripHopByHop(upstreamRes.headers),
        );
        upstreamRes.pipe(res);
      });
      upstream.on("error", (error: NodeJS.ErrnoException) => {
        if (res.headersSent) {
          res.destroy(error);
          return;
        }
        if (!sent && RETRYABLE.has(error.code ?? "")) {
          log.debug(
            { route: found.route, endpoint: endpointName(endpoint), err: error.code },
            "endpoint refused",
          );
          metrics.retries.inc();
          attempt(index + 1);
          return;
        }
        log.warn(
          { route: found.route, endpoint: endpointName(endpoint), err: error.message },
          "upstream failed",
        );
        finish(res, 502, `Instance of route '${found.route}' failed: ${error.code ?? error.message}\n`);
      });
    };
    attempt(0);

    function finish(response: ServerResponse, status: number, body: string) {
      metrics.requests.inc({ status: `${Math.floor(status / 100)}xx` });
      response.writeHead(status, { "content-type": "text/plain; charset=utf-8", "x-request-id": requestId });
      response.end(body);
      req.resume();
    }
  }

  function handleUpgrade(req: IncomingMessage, client: Duplex, head: Buffer): void {
    const requestId = headerValue(req.headers["x-request-id"]) ?? randomUUID();
    track(client);
    const found = table.lookup(req.headers.host ?? "", req.url ?? "/");
    if (!found) {
      client.end(`HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    const attempt = (index: number) => {
      const endpoint = found.endpoints[index];
      if (!endpoint) {
        client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      const upstream = connect({ host: endpoint.host, port: endpoint.port });
      track(upstream);
      upstream.once("error", (error: NodeJS.ErrnoException) => {
        if (upstream.bytesWritten === 0 && RETRYABLE.has(error.code ?? "")) attempt(index + 1);
        else client.destroy();
      });
      upstream.once("connect", () => {
        const headers = {
          ...forwardedHeaders(req, requestId),
          connection: "Upgrade",
          upgrade: req.headers.upgrade,
        };
        const lines = Object.entries(headers).flatMap(([name, value]) =>
          value === undefined ? [] : (Array.isArray(value) ? value : [value]).map((v) => `${name}: ${v}`),
        );
        upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
      });
    };
    attempt(0);
  }

  function close() {
    agent.destroy();
    for (const socket of tunnels) socket.destroy();
  }

  return { handleRequest, handleUpgrade, close };
}

function forwardedHeaders(
  req: IncomingMessage,
  requestId: string,
): Record<string, string | string[] | undefined> {
  const headers: Record<string, string | string[] | undefined> = stripHopByHop(req.headers);
  const clientIp = req.socket.remoteAddress ?? "";
  const prior = headerValue(req.headers["x-forwarded-for"]);
  headers["x-forwarded-for"] = prior ? `${prior}, ${clientIp}` : clientIp;
  headers["x-forwarded-proto"] = headerValue(req.headers["x-forwarded-proto"]) ?? "http";
  headers["x-forwarded-host"] = req.headers.host;
  headers["x-request-id"] = requestId;
  return headers;
}

function stripHopByHop<T extends Record<string, unknown>>(headers: T): T {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function endpointName(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}
