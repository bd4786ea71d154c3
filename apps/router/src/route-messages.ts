import { randomUUID } from "node:crypto";
import {
  decode,
  encode,
  ROUTE_PRUNE_THRESHOLD_SECONDS,
  ROUTE_REGISTER_INTERVAL_SECONDS,
  RouteRegistration,
  RouterStart,
  subjects,
} from "@grove/protocol";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { RouterMetrics } from "./metrics";
import type { RouteTable } from "./route-table";

export interface RouteMessageOptions {
  nats: NatsConnection;
  table: RouteTable;
  log: Logger;
  metrics: RouterMetrics;
  registerIntervalSeconds?: number;
  pruneThresholdSeconds?: number;
  now?: () => number;
}

/**
 * Keeps the route table in step with Cloud Foundry's route messages: `router.register` and
 * `router.unregister` change it, `router.greet` is answered with this router's start message, and
 * the start message is published once so emitters that were running re-register at once.
 * Invalid messages are counted and dropped.
 */
export function followRouteMessages(options: RouteMessageOptions): { stop(): void } {
  const { nats, table, log, metrics } = options;
  const now = options.now ?? Date.now;
  const start = encode(RouterStart, {
    id: randomUUID(),
    hosts: [],
    minimumRegisterIntervalInSeconds: options.registerIntervalSeconds ?? ROUTE_REGISTER_INTERVAL_SECONDS,
    pruneThresholdInSeconds: options.pruneThresholdSeconds ?? ROUTE_PRUNE_THRESHOLD_SECONDS,
  });
  const subscriptions: Subscription[] = [
    nats.subscribe(subjects.routerRegister, {
      callback: (error, msg) => {
        if (error) return;
        const result = decode(RouteRegistration, msg.data, msg.subject);
        if (!result.ok) return rejected(result.error);
        table.register(result.value, now());
        metrics.registrations.inc({ kind: "register" });
        metrics.endpoints.set(table.size.endpoints);
      },
    }),
    nats.subscribe(subjects.routerUnregister, {
      callback: (error, msg) => {
        if (error) return;
        const result = decode(RouteRegistration, msg.data, msg.subject);
        if (!result.ok) return rejected(result.error);
        table.unregister(result.value);
        metrics.registrations.inc({ kind: "unregister" });
        metrics.endpoints.set(table.size.endpoints);
      },
    }),
    nats.subscribe(subjects.routerGreet, {
      callback: (error, msg) => {
        if (!error) msg.respond(start);
      },
    }),
  ];
  nats.publish(subjects.routerStart, start);

  function rejected(error: Error) {
    metrics.rejectedMessages.inc();
    log.warn({ err: error.message }, "rejected route message");
  }

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
    },
  };
}
