import cluster, { type Worker } from "node:cluster";
import type { Server } from "node:http";
import { closeServer, createStatusServer, listen, portOf } from "@grove/services/status-server";
import type { Logger } from "pino";
import { AggregatorRegistry } from "prom-client";
import type { RunningRouter } from "./router";

/**
 * A router on several cores, like gorouter's GOMAXPROCS or nginx's worker processes: the
 * supervisor (cluster primary) forks `workers` processes that each run a whole router (own NATS
 * subscription, routing table and connection pools) and share the proxy port, which hands them
 * client connections in turn. The supervisor serves the status port: /metrics sums the workers'
 * counters, /readyz is ready when every worker is. A worker that dies is replaced.
 */

const LISTENING = "grove-router:listening";
const READY_REQUEST = "grove-router:ready?";
const READY_REPLY = "grove-router:ready";
/** a dead worker is replaced after this long, doubled (up to a minute) while replacements die unstarted */
const REPLACE_DELAY_MS = 1_000;
const REPLACE_DELAY_MAX_MS = 60_000;

interface ReadyReply {
  type: typeof READY_REPLY;
  requestId: number;
  reason?: string;
}

export interface SupervisedRouter {
  statusPort: number;
  /** stops the workers (each closes its router) and the status server */
  close(): Promise<void>;
}

export async function superviseWorkers(options: {
  workers: number;
  log: Logger;
  host: string;
  statusPort: number;
}): Promise<SupervisedRouter> {
  const log = options.log.child({ component: "router-supervisor" });
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let requests = 0;
  let announced = false;
  let replaceDelay = REPLACE_DELAY_MS;
  const listening = new Set<number>();
  let startupFailed: (error: Error) => void = () => {};
  const fork = () => {
    const worker = cluster.fork();
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      if (!announced) {
        // Not started yet: a worker that cannot start (NATS unreachable, port taken) ends the router.
        startupFailed(new Error(`router worker ${worker.id} exited (${signal ?? code}) before it listened`));
        return;
      }
      log.error({ worker: worker.id, code, signal }, "router worker died; starting another");
      setTimeout(() => {
        if (!stopping) fork();
      }, replaceDelay).unref();
      if (!listening.has(worker.id)) replaceDelay = Math.min(replaceDelay * 2, REPLACE_DELAY_MAX_MS);
    });
    return worker;
  };

  const askReady = (worker: Worker) =>
    new Promise<string | undefined>((resolve) => {
      const requestId = ++requests;
      const timer = setTimeout(() => done(`router worker ${worker.id} does not answer`), 2_000);
      function onMessage(message: ReadyReply) {
        if (message?.type === READY_REPLY && message.requestId === requestId) done(message.reason);
      }
      function done(reason: string | undefined) {
        clearTimeout(timer);
        worker.off("message", onMessage);
        resolve(reason);
      }
      worker.on("message", onMessage);
      worker.send({ type: READY_REQUEST, requestId });
    });
  const status: Server = createStatusServer({
    metrics: async () => ({ contentType: aggregator.contentType, text: await aggregator.clusterMetrics() }),
    notReady: async () => {
      const workers = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected()) as Worker[];
      if (workers.length < options.workers)
        return `${workers.length} of ${options.workers} router workers running`;
      const reasons = await Promise.all(workers.map(askReady));
      return reasons.find((reason) => reason !== undefined);
    },
  });
  await listen(status, options.host, options.statusPort);
  const statusPort = portOf(status);
  const started = new Promise<void>((resolve, reject) => {
    startupFailed = reject;
    cluster.on("message", (worker, message: { type?: string; port?: number }) => {
      if (message?.type !== LISTENING) return;
      listening.add(worker.id);
      replaceDelay = REPLACE_DELAY_MS;
      if (!announced && listening.size >= options.workers) {
        announced = true;
        log.info({ port: message.port, statusPort, workers: options.workers }, "router listening");
        resolve();
      }
    });
  });
  const close = async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter(Boolean) as Worker[];
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once("exit", () => resolve());
            worker.process.kill("SIGTERM");
          }),
      ),
    );
    await closeServer(status);
  };
  for (let i = 0; i < options.workers; i++) fork();
  try {
    await started;
  } catch (error) {
    await close();
    throw error;
  }
  return { statusPort, close };
}

/** In a worker: tells the supervisor it listens, and lets it read its metrics and readiness. */
export function serveSupervisor(router: RunningRouter): void {
  process.send?.({ type: LISTENING, port: router.port });
  new AggregatorRegistry(); // answers the supervisor's metric requests
  AggregatorRegistry.setRegistries([router.metrics.registry]);
  process.on("message", (message: { type?: string; requestId?: number }) => {
    if (message?.type !== READY_REQUEST) return;
    const reply: ReadyReply = { type: READY_REPLY, requestId: message.requestId as number };
    const reason = router.notReady();
    if (reason) reply.reason = reason;
    process.send?.(reply);
  });
}
