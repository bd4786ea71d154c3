import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** What the gauges read when scraped; set once the agent runs. */
export interface AgentGaugeSource {
  /** each instance's state (STARTING, RUNNING, CRASHED, STOPPED) */
  instanceStates(): string[];
  /** instances holding a container */
  containers(): number;
  volumes(): number;
  natsConnected(): boolean;
  /** starts waiting for a start slot and teardowns for a teardown slot */
  queued(): { starts: number; teardowns: number };
}

/** The agent's Prometheus metrics, on a registry of its own (tests run several agents in a process). */
export class AgentMetrics {
  readonly registry = new Registry();
  #source: AgentGaugeSource | undefined;

  readonly heartbeats = new Counter({
    name: "grove_agent_heartbeats_total",
    help: "Heartbeats, by outcome: sent (handed to the NATS client) or failed (not published)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: "grove_agent_commands_total",
    help: "Cell commands handled, by type and outcome (ok, duplicate, failed)",
    labelNames: ["type", "outcome"] as const,
    registers: [this.registry],
  });
  readonly commandDuration = new Histogram({
    name: "grove_agent_command_duration_seconds",
    help: "Time from a command's arrival to its reply, by type (a start includes fetching bits or pulling the image)",
    labelNames: ["type"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly policyApplies = new Counter({
    name: "grove_agent_policy_applies_total",
    help: "Network policies applied to the kernel (peer rules and egress), by outcome (ok, failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly policyApplyDuration = new Histogram({
    name: "grove_agent_policy_apply_duration_seconds",
    help: "Time to apply a network policy (one nft transaction and cutting disallowed flows)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly imagePulls = new Counter({
    name: "grove_agent_image_pulls_total",
    help: "Docker image pulls, by outcome (ok, failed)",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly imagePullBytes = new Counter({
    name: "grove_agent_image_pull_bytes_total",
    help: "Image bytes a pull reported done (what was cached already counts too)",
    registers: [this.registry],
  });
  readonly imagePullDuration = new Histogram({
    name: "grove_agent_image_pull_duration_seconds",
    help: "Time to pull a docker app's image",
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "grove_" });
    const metrics = this;
    new Gauge({
      name: "grove_agent_instances",
      help: "Instances on the cell, by state",
      labelNames: ["state"] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        const counts = new Map<string, number>();
        for (const state of metrics.#source?.instanceStates() ?? [])
          counts.set(state, (counts.get(state) ?? 0) + 1);
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    const gauge = (name: string, help: string, read: (source: AgentGaugeSource) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(metrics.#source ? read(metrics.#source) : 0);
        },
      });
    gauge(
      "grove_agent_containers",
      "Instances holding a container (starting, running, or stopped and being torn down)",
      (s) => s.containers(),
    );
    gauge("grove_agent_volumes", "Volumes held on the cell", (s) => s.volumes());
    gauge("grove_agent_starts_queued", "Container starts waiting for a start slot", (s) => s.queued().starts);
    gauge(
      "grove_agent_teardowns_queued",
      "Teardowns of stopped or crashed instances waiting for a teardown slot",
      (s) => s.queued().teardowns,
    );
    gauge("grove_agent_nats_connected", "1 while the agent's NATS connection is up", (s) =>
      s.natsConnected() ? 1 : 0,
    );
  }

  /** The running agent's state, read by the gauges at each scrape. */
  watch(source: AgentGaugeSource): void {
    this.#source = source;
  }

  /** Times `run`, counting its outcome and duration with `done`. */
  static async timed<T>(
    run: () => Promise<T>,
    done: (outcome: "ok" | "failed", seconds: number) => void,
  ): Promise<T> {
    const started = performance.now();
    try {
      const result = await run();
      done("ok", (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      done("failed", (performance.now() - started) / 1000);
      throw error;
    }
  }
}
