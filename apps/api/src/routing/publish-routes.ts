import { setTimeout as delay } from "node:timers/promises";
import { encode, RouteRegistration, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * How long to wait for the NATS server to take route messages. While NATS is away the client keeps
 * them and sends them on reconnecting; a request that stops an app does not hang on that.
 */
const FLUSH_TIMEOUT_MS = 2_000;

/**
 * Publishes route registrations (`register`) or withdrawals (`unregister`) with Cloud Foundry's
 * gorouter messages and waits until the NATS server has them (up to 2 s), so a caller that returns
 * afterwards knows every router subscribed is being told.
 */
export async function publishRoutes(
  nc: NatsConnection,
  kind: "register" | "unregister",
  registrations: readonly RouteRegistration[],
): Promise<void> {
  if (registrations.length === 0) return;
  const subject = kind === "register" ? subjects.routerRegister : subjects.routerUnregister;
  for (const registration of registrations) nc.publish(subject, encode(RouteRegistration, registration));
  const timeout = new AbortController();
  await Promise.race([
    nc.flush().finally(() => timeout.abort()),
    delay(FLUSH_TIMEOUT_MS, undefined, { signal: timeout.signal }).catch(() => {}),
  ]);
}
