import { type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import { closeServer, createStatusServer, listen, portOf } from "@grove/services/status-server";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { createRouterMetrics, type RouterMetrics } from "./metrics";
import { createProxy, type ProxyOptions } from "./proxy";
import { followRouteMessages } from "./route-messages";
import { RouteTable } from "./route-table";

export interface RouterOptions {
  /** where NATS is and the router's credentials */
  nats: NatsAccess;
  log: Logger;
  host?: string;
  port?: number;
  /** the status server's port; false for none (a worker, whose supervisor serves status) */
  statusPort?: number | false;
  pruneThresholdSeconds?: number;
  registerIntervalSeconds?: number;
  /** tuning of the proxy (timeouts, limits, pipelining) */
  proxy?: Omit<ProxyOptions, "table" | "log" | "metrics">;
}

export interface RunningRouter {
  /** the proxy's port */
  port: number;
  /** the status server's port (/metrics, /livez, /readyz), or undefined when it has none */
  statusPort: number | undefined;
  table: RouteTable;
  metrics: RouterMetrics;
  /** why the router cannot route now (no NATS), or undefined */
  notReady(): string | undefined;
  close(): Promise<void>;
}

/**
 * Starts a router: follows route messages on NATS, proxies HTTP and WebSocket traffic by Host
 * header, prunes stale endpoints, and serves /metrics, /livez and /readyz on a status port.
 */
export async function startRouter(options: RouterOptions): Promise<RunningRouter> {
  const log = options.log.child({ component: "router" });
  const pruneThresholdSeconds = options.pruneThresholdSeconds ?? 120;
  const table = new RouteTable(pruneThresholdSeconds * 1000);
  const metrics = createRouterMetrics();
  const nats: NatsConnection = await connect({
    ...(await natsConnectOptions(options.nats)),
    name: "grove-router",
    maxReconnectAttempts: -1,
  });
  const messages = followRouteMessages({
    nats,
    table,
    log,
    metrics,
    pruneThresholdSeconds,
    registerIntervalSeconds: options.registerIntervalSeconds,
  });
  const pruneTimer = setInterval(
    () => {
      const pruned = table.prune(Date.now());
      if (pruned > 0) log.info({ pruned }, "pruned stale endpoints");
      metrics.endpoints.set(table.size.endpoints);
    },
    Math.min(pruneThresholdSeconds * 1000, 5_000) / 2,
  );
  pruneTimer.unref();

  const proxy = createProxy({ table, log, metrics, ...options.proxy });
  const server = proxy.server;
  const notReady = () => (!nats.isClosed() && nats.info !== undefined ? undefined : "nats unreachable");
  const wantedStatusPort = options.statusPort === false ? undefined : (options.statusPort ?? 8082);
  const status =
    wantedStatusPort === undefined
      ? undefined
      : createStatusServer({
          metrics: async () => ({
            contentType: metrics.registry.contentType,
            text: await metrics.registry.metrics(),
          }),
          notReady: async () => notReady(),
        });
  const host = options.host ?? "0.0.0.0";
  await listen(server, host, options.port ?? 8080);
  if (status && wantedStatusPort !== undefined) await listen(status, host, wantedStatusPort);
  const statusPort = status ? portOf(status) : undefined;
  let closing: Promise<void> | undefined;
  return {
    port: portOf(server),
    statusPort,
    table,
    metrics,
    notReady,
    close() {
      closing ??= (async () => {
        clearInterval(pruneTimer);
        messages.stop();
        proxy.close();
        await Promise.all([closeServer(server), status && closeServer(status)]);
        await nats.drain().catch(() => nats.close());
      })();
      return closing;
    },
  };
}
