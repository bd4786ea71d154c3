import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The router's Prometheus metrics, in their own registry (several routers may run in one process). */
export function createRouterMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: new Counter({
      name: "grove_router_requests_total",
      help: "Requests proxied, by response status class",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "grove_router_request_duration_seconds",
      help: "Time from request to upstream response headers",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    retries: new Counter({
      name: "grove_router_retries_total",
      help: "Requests retried on another endpoint after a connection failure",
      registers: [registry],
    }),
    registrations: new Counter({
      name: "grove_router_registrations_total",
      help: "Route messages applied, by kind",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    rejectedMessages: new Counter({
      name: "grove_router_rejected_messages_total",
      help: "Route messages rejected as invalid",
      registers: [registry],
    }),
    endpoints: new Gauge({
      name: "grove_router_endpoints",
      help: "Endpoints in the routing table",
      registers: [registry],
    }),
  };
}

export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
