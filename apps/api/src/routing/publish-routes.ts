import { encode, RouteRegistration, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * Publishes route registrations (`register`) or withdrawals (`unregister`) with Cloud Foundry's
 * gorouter messages and waits until the NATS server has them, so a caller that returns afterwards
 * knows every router subscribed is being told.
 */
export async function publishRoutes(
  nc: NatsConnection,
  kind: "register" | "unregister",
  registrations: readonly RouteRegistration[],
): Promise<void> {
  if (registrations.length === 0) return;
  const subject = kind === "register" ? subjects.routerRegister : subjects.routerUnregister;
  for (const registration of registrations) nc.publish(subject, encode(RouteRegistration, registration));
  await nc.flush();
}
