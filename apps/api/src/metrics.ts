import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** The api's Prometheus metrics, on a registry of its own (several apis can share a process in tests). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: "grove_http_requests_total",
    help: "HTTP requests served, by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: "grove_http_request_duration_seconds",
    help: "HTTP request latency",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly cellMessagesRejected = new Counter({
    name: "grove_cell_messages_rejected_total",
    help: "Messages from cells rejected: invalid (an old version among them), unknown cell, subject mismatch, or about an instance not on the cell",
    labelNames: ["subject_kind", "reason"] as const,
    registers: [this.registry],
  });
  readonly protocolRejected = new Counter({
    name: "grove_protocol_rejected_messages_total",
    help: "NATS messages that failed protocol validation, by message type and kind",
    labelNames: ["type", "kind"] as const,
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: "grove_dead_letters_total",
    help: "JetStream messages moved to GROVE_DEAD_LETTERS instead of being redelivered again, by stream and reason",
    labelNames: ["stream", "reason"] as const,
    registers: [this.registry],
  });
  readonly logTailMessagesRead = new Counter({
    name: "grove_log_tail_messages_read_total",
    help: "Log messages read from JetStream to answer log requests (a tail reads about the lines it returns)",
    registers: [this.registry],
  });
  readonly logLinesDropped = new Counter({
    name: "grove_log_lines_dropped_total",
    help: "Stored log lines not shown because their publishing cell is not where the instance was placed, by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly heartbeats = new Counter({
    name: "grove_cell_heartbeats_total",
    help: "Cell heartbeats accepted, by whether they were stored (only changes and periodic refreshes are)",
    labelNames: ["stored"] as const,
    registers: [this.registry],
  });
  readonly registrations = new Counter({
    name: "grove_cell_registrations_total",
    help: "Cell register requests, by outcome",
    labelNames: ["outcome"] as const,
    registers: [this.registry],
  });
  readonly cellsLost = new Counter({
    name: "grove_cells_lost_total",
    help: "Cells marked lost after their heartbeats stopped",
    registers: [this.registry],
  });
  readonly bitsUploadedBytes = new Counter({
    name: "grove_bits_uploaded_bytes_total",
    help: "Bytes of app bits received",
    registers: [this.registry],
  });
  readonly leaderRoundDuration = new Histogram({
    name: "grove_leader_round_duration_seconds",
    help: "Duration of a leader round (convergence, placement, commands)",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly unplacedInstances = new Gauge({
    name: "grove_unplaced_instances",
    help: "Instances the last leader round could not place",
    registers: [this.registry],
  });
  readonly routeMessages = new Counter({
    name: "grove_route_messages_total",
    help: "Route registrations sent to routers, by kind (register, unregister)",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly startCommands = new Counter({
    name: "grove_start_commands_total",
    help: "Start commands the leader sent to cells, by kind (single: start-instance, batch: start-instances)",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly startsSent = new Counter({
    name: "grove_starts_sent_total",
    help: "Instance starts the leader sent to cells (a batch counts each of its starts; resends count again)",
    registers: [this.registry],
  });
  readonly startsHeld = new Counter({
    name: "grove_starts_held_total",
    help: "Due starts not sent again because their cell accepted them, or was sent them, less than the resend time ago",
    registers: [this.registry],
  });
  readonly isLeader = new Gauge({
    name: "grove_leader",
    help: "1 while this api process holds the leader lock",
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "grove_" });
  }
}
