import type { NatsConnection } from "@nats-io/transport-node";
import type { InstanceRoute } from "../repo/routes";
import { publishRoutes } from "./publish-routes";
import { registrationOf } from "./route-set";

/**
 * Unregisters instances' routes at once, before a request that stopped, scaled down or deleted
 * their app returns (as Cloud Foundry's route emitter does on instance stop), rather than at the
 * leader's next run. The leader's emitter withdraws them again later; that repeat is harmless, and
 * it is what withdraws them when NATS cannot be reached now (the request still succeeds).
 */
export async function withdrawRoutes(
  nc: NatsConnection,
  routes: readonly InstanceRoute[],
  domain: string,
): Promise<void> {
  if (nc.isClosed()) return;
  await publishRoutes(
    nc,
    "unregister",
    routes.map((route) => registrationOf(route, domain)),
  ).catch(() => {});
}
