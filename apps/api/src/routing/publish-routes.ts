import { setTimeout as delay } from "node:timers/promises";
import { RouteRegistration, serialize, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventLoopSlices } from "../slices";

/**
 * How long to wait for the NATS server to take route messages. While NATS is away the client keeps
 * them and sends them on reconnecting; a request that stops an app does not hang on that.
 */
const FLUSH_TIMEOUT_MS = 2_000;

/**
 * Each registration's bytes, made once: the emitter keeps its registrations between runs and
 * registers every one again every 20 s (100,000 at 1,000 cells), the same objects each time. They
 * are serialised without validation (`serialize`): built here from stored rows, and the routers
 * validate what they receive.
 */
const encoded = new WeakMap<RouteRegistration, Uint8Array>();

function bytesOf(registration: RouteRegistration): Uint8Array {
  let bytes = encoded.get(registration);
  if (!bytes) {
    bytes = serialize(RouteRegistration, registration);
    encoded.set(registration, bytes);
  }
  return bytes;
}

/**
 * Publishes route registrations (`register`) or withdrawals (`unregister`) with Cloud Foundry's
 * gorouter messages and waits until the NATS server has them (up to 2 s), so a caller that returns
 * afterwards knows every router subscribed is being told. Publishing gives the event loop back
 * every slice (`EventLoopSlices`: validating, encoding and publishing a registration takes about
 * 5 µs, so the emitter's whole re-registration of 100,000 routes, every 20 s, held it for 0.5–1.7 s
 * at a time and every request waited that long); `skip` says which messages should no longer go when their turn comes
 * (e.g. a registration of an instance withdrawn meanwhile).
 */
export async function publishRoutes(
  nc: NatsConnection,
  kind: "register" | "unregister",
  registrations: readonly RouteRegistration[],
  skip?: (registration: RouteRegistration) => boolean,
): Promise<void> {
  if (registrations.length === 0) return;
  const subject = kind === "register" ? subjects.routerRegister : subjects.routerUnregister;
  const slices = new EventLoopSlices();
  for (let i = 0; i < registrations.length; i++) {
    if (i % 64 === 63 && slices.due()) await slices.next();
    const registration = registrations[i] as RouteRegistration;
    if (skip?.(registration)) continue;
    nc.publish(subject, bytesOf(registration));
  }
  const timeout = new AbortController();
  await Promise.race([
    nc.flush().finally(() => timeout.abort()),
    delay(FLUSH_TIMEOUT_MS, undefined, { signal: timeout.signal }).catch(() => {}),
  ]);
}
