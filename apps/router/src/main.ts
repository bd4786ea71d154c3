import { pino } from "pino";
import { parseRouterConfig } from "./config";
import { startRouter } from "./router";

const config = parseRouterConfig(process.env);
const log = pino({ level: config.GROVE_LOG_LEVEL });
const router = await startRouter({
  natsUrl: config.NATS_URL,
  log,
  host: config.GROVE_ROUTER_HOST,
  port: config.GROVE_ROUTER_PORT,
  statusPort: config.GROVE_ROUTER_STATUS_PORT,
  pruneThresholdSeconds: config.GROVE_ROUTER_PRUNE_SECONDS,
  registerIntervalSeconds: config.GROVE_ROUTER_REGISTER_INTERVAL_SECONDS,
  proxy: {
    maxPipeline: config.GROVE_ROUTER_PIPELINE_DEPTH,
    responseTimeoutMs: config.GROVE_ROUTER_ENDPOINT_TIMEOUT_SECONDS * 1000,
    maxConnections: config.GROVE_ROUTER_MAX_CONNS_PER_INSTANCE,
  },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log.info({ signal }, "router stopping");
    router.close().then(() => process.exit(0));
  });
}
