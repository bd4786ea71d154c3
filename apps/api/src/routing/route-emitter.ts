import type { Database } from "@grove/db";
import { decode, ROUTE_PRUNE_THRESHOLD_SECONDS, RouteRegistration, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { type Loop, startLoop } from "../loop";
import type { ApiMetrics } from "../metrics";
import { recentlyUnroutable, routableInstances } from "../repo/routes";
import { publishRoutes } from "./publish-routes";
import { diffRoutes, type RouteSet, routeSetOf } from "./route-set";

export interface RouteEmitterDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  metrics: ApiMetrics;
  /** apps get the route `<app>.<tenant>.<domain>` */
  domain: string;
  /** every route is registered again this often (gorouter's minimum register interval, 20 s) */
  intervalMs: number;
  /** a woken emission starts at least this long after the previous one started */
  wakeGapMs?: number;
}

/**
 * The control plane's route emitter (run by the leader): the routers learn routes only from here,
 * never from cells. Each run compares the routable instances in Postgres with what it last sent,
 * registers the new and withdraws the gone (stopped, crashed, replaced, scaled away, on a lost
 * cell, of a stopped or deleted app); every `intervalMs`, and when a router announces its start on
 * `router.start`, it registers everything again. A new leader first withdraws the routes of
 * instances that stopped being routable within the routers' prune threshold, in case the leader
 * before it could not. Registration is idempotent, so a repeat is harmless.
 *
 * Any replica's request handler may unregister routes itself (a stop answers only once its routes
 * are gone); the emitter hears those on `router.unregister` too and forgets them, so an app started
 * again before the emitter saw it stopped is registered anew rather than left unrouted.
 */
export function startRouteEmitter(deps: RouteEmitterDeps): Loop {
  const { db, nc, domain, metrics } = deps;
  const log = deps.log.child({ component: "api.routes" });
  let emitted: RouteSet | undefined;
  let routerStartsSeen = 1;
  let routerStartsServed = 0;
  let lastFullAt = 0;

  const run = async () => {
    emitted ??= routeSetOf(await recentlyUnroutable(db, ROUTE_PRUNE_THRESHOLD_SECONDS * 1000), domain);
    const current = routeSetOf(await routableInstances(db), domain);
    const now = Date.now();
    const startsSeen = routerStartsSeen;
    const full = startsSeen > routerStartsServed || now - lastFullAt >= deps.intervalMs;
    const { register, unregister } = diffRoutes(emitted, current);
    const registering = full ? [...current.values()] : register;
    await publishRoutes(nc, "unregister", unregister);
    await publishRoutes(nc, "register", registering);
    if (full) {
      lastFullAt = now;
      routerStartsServed = startsSeen;
    }
    emitted = current;
    metrics.routeMessages.inc({ kind: "unregister" }, unregister.length);
    metrics.routeMessages.inc({ kind: "register" }, registering.length);
    if (unregister.length > 0 || register.length > 0)
      log.info({ registered: register.length, unregistered: unregister.length }, "routes changed");
  };
  const loop = startLoop("routes", deps.intervalMs, run, log, deps.wakeGapMs ?? 0);
  const withdrawals = nc.subscribe(subjects.routerUnregister, {
    callback: (error, msg) => {
      if (error || emitted === undefined) return;
      const withdrawn = decode(RouteRegistration, msg.data, msg.subject);
      if (!withdrawn.ok || withdrawn.value.private_instance_id === undefined) return;
      const held = emitted.get(withdrawn.value.private_instance_id);
      if (held?.host !== withdrawn.value.host || held.port !== withdrawn.value.port) return;
      const remaining = new Map(emitted);
      remaining.delete(withdrawn.value.private_instance_id);
      emitted = remaining;
      loop.wake();
    },
  });
  const routerStarts = nc.subscribe(subjects.routerStart, {
    callback: (error) => {
      if (error) return;
      routerStartsSeen++;
      loop.wake();
    },
  });
  loop.wake();
  return {
    wake: () => loop.wake(),
    async stop() {
      routerStarts.unsubscribe();
      withdrawals.unsubscribe();
      await loop.stop();
    },
  };
}
