import { DEAD_LETTERS_STREAM, INSTANCE_EVENTS_STREAM, VOLUME_DATA_BUCKET } from "@grove/protocol";
import { jetstreamManager } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import type { NatsConnection } from "@nats-io/transport-node";
import { BITS_BUCKET } from "./bits-store";

/**
 * Grove's fixed streams in JetStream: the streams, and the object stores' own streams. Each
 * tenant's logs stream is made with the replica count (`TenantLogStreams`).
 */
export const GROVE_STREAMS = [
  INSTANCE_EVENTS_STREAM,
  DEAD_LETTERS_STREAM,
  `OBJ_${BITS_BUCKET}`,
  `OBJ_${VOLUME_DATA_BUCKET}`,
];

/**
 * Gives each of Grove's streams and object stores `replicas` copies (GROVE_JETSTREAM_REPLICAS: 3 on a
 * 3-node NATS cluster, so losing one server loses nothing). The object stores are made when
 * missing; a stream made with another count (the api's first start, an older deployment) is
 * changed in place, which JetStream does while the stream serves. Returns the streams it changed.
 */
export async function ensureStreamReplicas(nc: NatsConnection, replicas: number): Promise<string[]> {
  const objm = new Objm(nc);
  await objm.create(BITS_BUCKET, { replicas });
  await objm.create(VOLUME_DATA_BUCKET, { replicas });
  const jsm = await jetstreamManager(nc);
  const changed: string[] = [];
  for (const name of GROVE_STREAMS) {
    const { config } = await jsm.streams.info(name);
    if (config.num_replicas === replicas) continue;
    await jsm.streams.update(name, { ...config, num_replicas: replicas });
    changed.push(name);
  }
  return changed;
}
