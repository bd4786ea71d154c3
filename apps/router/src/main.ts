import cluster from "node:cluster";
import { pino } from "pino";
import { parseRouterConfig } from "./config";
import { startRouter } from "./router";
import { stopOnSignals } from "./shutdown";
import { serveSupervisor, superviseWorkers } from "./workers";

const config = parseRouterConfig(process.env);
const supervising = config.GROVE_ROUTER_WORKERS > 1 && cluster.isPrimary;
const log = pino({ level: config.GROVE_LOG_LEVEL }).child(
  cluster.isWorker ? { worker: cluster.worker?.id } : {},
);

const starting = supervising
  ? superviseWorkers({
      workers: config.GROVE_ROUTER_WORKERS,
      log,
      host: config.GROVE_ROUTER_HOST,
      statusPort: config.GROVE_ROUTER_STATUS_PORT,
    })
  : startRouter({
      nats: { url: config.NATS_URL, caFile: config.GROVE_NATS_CA, credsFile: config.GROVE_NATS_CREDS },
      log,
      host: config.GROVE_ROUTER_HOST,
      port: config.GROVE_ROUTER_PORT,
      statusPort: cluster.isWorker ? false : config.GROVE_ROUTER_STATUS_PORT,
      pruneThresholdSeconds: config.GROVE_ROUTER_PRUNE_SECONDS,
      registerIntervalSeconds: config.GROVE_ROUTER_REGISTER_INTERVAL_SECONDS,
      proxy: {
        maxPipeline: config.GROVE_ROUTER_PIPELINE_DEPTH,
        responseTimeoutMs: config.GROVE_ROUTER_ENDPOINT_TIMEOUT_SECONDS * 1000,
        maxConnections: config.GROVE_ROUTER_MAX_CONNS_PER_INSTANCE,
      },
    });
const running = await starting.catch((error: Error) => {
  log.fatal({ err: error }, "router failed to start");
  process.exit(1);
});
let stopping = false;
const stop = (reason: string) => {
  if (stopping) return;
  stopping = true;
  log.info({ reason }, "router stopping");
  void running.close().then(() => process.exit(0));
};
// (A supervisor announces "router listening" itself, once every worker listens.)
if ("table" in running && cluster.isWorker) {
  log.info({ port: running.port }, "router worker listening");
  serveSupervisor(running);
  // The supervisor is gone (killed): a worker does not outlive it.
  process.once("disconnect", () => stop("supervisor gone"));
} else if ("table" in running) {
  log.info({ port: running.port, statusPort: running.statusPort }, "router listening");
}
stopOnSignals(stop, log);
