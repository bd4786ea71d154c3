import { Counter, Gauge, Histogram, Registry } from "prom-client";

const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/**
 * What the proxy counts per request, kept in plain numbers so the hot path pays a few additions;
 * the Prometheus metrics read them when scraped.
 */
export class TrafficCounters {
  /** responses by status class, index 1–5 */
  readonly responses = new Float64Array(6);
  retries = 0;
  /** durations per bucket of DURATION_BUCKETS, the last one +Inf (not cumulative) */
  readonly durationBuckets = new Float64Array(DURATION_BUCKETS.length + 1);
  durationSum = 0;
  durationCount = 0;

  response(status: number): void {
    const statusClass = (status / 100) | 0;
    if (statusClass >= 1 && statusClass <= 5)
      this.responses[statusClass] = (this.responses[statusClass] as number) + 1;
  }

  duration(seconds: number): void {
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > (DURATION_BUCKETS[bucket] as number)) bucket += 1;
    this.durationBuckets[bucket] = (this.durationBuckets[bucket] as number) + 1;
    this.durationSum += seconds;
    this.durationCount += 1;
  }
}

type HistogramData = Awaited<ReturnType<Histogram["get"]>>;

/** A histogram whose observations are TrafficCounters' duration buckets, read at scrape time. */
class CountedHistogram extends Histogram {
  constructor(
    private readonly traffic: TrafficCounters,
    private readonly config: { name: string; help: string; registers: Registry[] },
  ) {
    super({ ...config, buckets: DURATION_BUCKETS });
  }

  override async get(): Promise<HistogramData> {
    return this.snapshot();
  }

  /** what prom-client's Registry reads when it renders the text format */
  async getForPromString(): Promise<HistogramData> {
    return this.snapshot();
  }

  private snapshot(): HistogramData {
    const { traffic } = this;
    const { name, help } = this.config;
    const values: HistogramData["values"] = [];
    let cumulative = 0;
    DURATION_BUCKETS.forEach((le, i) => {
      cumulative += traffic.durationBuckets[i] as number;
      values.push({ metricName: `${name}_bucket`, labels: { le }, value: cumulative });
    });
    values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: traffic.durationCount });
    values.push({ metricName: `${name}_sum`, labels: {}, value: traffic.durationSum });
    values.push({ metricName: `${name}_count`, labels: {}, value: traffic.durationCount });
    return { name, help, type: "histogram", values, aggregator: "sum" } as unknown as HistogramData;
  }
}

/** The router's Prometheus metrics, in their own registry (several routers may run in one process). */
export function createRouterMetrics() {
  const registry = new Registry();
  const traffic = new TrafficCounters();
  return {
    registry,
    traffic,
    requests: new Counter({
      name: "grove_router_requests_total",
      help: "Requests proxied, by response status class",
      labelNames: ["status"] as const,
      registers: [registry],
      collect() {
        this.reset();
        traffic.responses.forEach((count, statusClass) => {
          if (count > 0) this.inc({ status: `${statusClass}xx` }, count);
        });
      },
    }),
    duration: new CountedHistogram(traffic, {
      name: "grove_router_request_duration_seconds",
      help: "Time from request to upstream response headers",
      registers: [registry],
    }),
    retries: new Counter({
      name: "grove_router_retries_total",
      help: "Requests retried on another endpoint after a connection failure",
      registers: [registry],
      collect() {
        this.reset();
        this.inc(traffic.retries);
      },
    }),
    registrations: new Counter({
      name: "grove_router_registrations_total",
      help: "Route messages applied, by kind",
      labelNames: ["kind"] as const,
      registers: [registry],
      // every worker of a router applies every message: the router's count is any one worker's
      aggregator: "max",
    }),
    rejectedMessages: new Counter({
      name: "grove_router_rejected_messages_total",
      help: "Route messages rejected as invalid",
      registers: [registry],
      aggregator: "max",
    }),
    endpoints: new Gauge({
      name: "grove_router_endpoints",
      help: "Endpoints in the routing table",
      registers: [registry],
      aggregator: "max",
    }),
  };
}

export type RouterMetrics = ReturnType<typeof createRouterMetrics>;
