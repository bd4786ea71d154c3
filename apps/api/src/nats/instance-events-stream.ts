import { INSTANCE_EVENTS_STREAM, subjects } from "@grove/protocol";
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/** The durable consumer through which the api applies instance events. */
export const INSTANCE_EVENTS_CONSUMER = "grove-api";

/** Creates the instance events stream unless it exists; events stay a week. */
export async function ensureInstanceEventsStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(INSTANCE_EVENTS_STREAM);
  } catch {
    await jsm.streams.add({
      name: INSTANCE_EVENTS_STREAM,
      subjects: [subjects.allInstanceEvents],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      max_age: 7 * 24 * 3600 * 1_000_000_000,
    });
  }
}

/**
 * Creates (or keeps) the api's durable consumer of instance events. Messages are acknowledged one
 * by one after they are applied, so an api killed at any moment misses none.
 */
export async function ensureInstanceEventsConsumer(nc: NatsConnection): Promise<Consumer> {
  await ensureInstanceEventsStream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.consumers.add(INSTANCE_EVENTS_STREAM, {
    durable_name: INSTANCE_EVENTS_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: 30 * 1_000_000_000,
    max_deliver: -1,
  });
  return jetstream(nc).consumers.get(INSTANCE_EVENTS_STREAM, INSTANCE_EVENTS_CONSUMER);
}
