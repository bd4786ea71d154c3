import type { Database } from "@grove/db";
import { decode, ROUTE_PRUNE_THRESHOLD_SECONDS, RouteRegistration, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { type Loop, startLoop } from "../loop";
import type { ApiMetrics } from "../metrics";
import { recentlyUnroutable } from "../repo/routes";
import { publishRoutes } from "./publish-routes";
import { diffRoutes, diffRoutesOf, routeSetOf } from "./route-set";
import { RouteView } from "./route-view";

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
 * Each run reads only the routes that may have changed since the previous one (`RouteView`), and
 * the whole set now and then.
 *
 * Any replica's request handler may unregister routes itself (a stop answers only once its routes
 * are gone); the emitter hears those on `router.unregister` too and forgets them, so an app started
 * again before the emitter saw it stopped is registered anew rather than left unrouted.
 */
export function startRouteEmitter(deps: RouteEmitterDeps): Loop {
  const { db, nc, domain, metrics } = deps;
  const log = deps.log.child({ component: "api.routes" });
  const view = new RouteView(domain);
  let emitted: Map<string, RouteRegistration> | undefined;
  /** instances whose routes a replica withdrew since the last run */
  const withdrawn = new Set<string>();
  let routerStartsSeen = 1;
  let routerStartsServed = 0;
  let lastFullAt = 0;

  const run = async () => {
    emitted ??= new Map(
      routeSetOf(await recentlyUnroutable(db, ROUTE_PRUNE_THRESHOLD_SECONDS * 1000), domain),
    );
    const { current, changed } = await view.read(db);
    const now = Date.now();
    const startsSeen = routerStartsSeen;
    const full = startsSeen > routerStartsServed || now - lastFullAt >= deps.intervalMs;
    const ids = changed === "all" ? undefined : new Set([...changed, ...withdrawn]);
    withdrawn.clear();
    const { register, unregister } =
      ids === undefined
        ? diffRoutes(emitted, current)
        : diffRoutesOf(emitted, current, ids, (endpoint) => view.holds(endpoint));
    const registering = full ? [...current.values()] : register;
    await publishRoutes(nc, "unregister", unregister);
    // a replica's withdrawal heard while registrations are being sent stops its instance's
    await publishRoutes(nc, "register", registering, (r) => withdrawn.has(r.private_instance_id ?? ""));
    if (full) {
      lastFullAt = now;
      routerStartsServed = startsSeen;
    }
    if (ids === undefined) emitted = new Map(current);
    else
      for (const id of ids) {
        const registration = current.get(id);
        if (registration) emitted.set(id, registration);
        else emitted.delete(id);
      }
    metrics.routeMessages.inc({ kind: "unregister" }, unregister.length);
    metrics.routeMessages.inc({ kind: "register" }, registering.length);
    if (unregister.length > 0 || register.length > 0)
      log.info({ registered: register.length, unregistered: unregister.length }, "routes changed");
  };
  const loop = startLoop("routes", deps.intervalMs, run, log, deps.wakeGapMs ?? 0);
  const withdrawals = nc.subscribe(subjects.routerUnregister, {
    callback: (error, msg) => {
      if (error || emitted === undefined) return;
      const message = decode(RouteRegistration, msg.data, msg.subject);
      if (!message.ok || message.value.private_instance_id === undefined) return;
      const id = message.value.private_instance_id;
      const held = emitted.get(id);
      if (held?.host !== message.value.host || held.port !== message.value.port) return;
      emitted.delete(id);
      withdrawn.add(id);
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
