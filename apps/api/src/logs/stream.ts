import { subjects } from "@grove/protocol";
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * The JetStream stream that keeps recent log lines (`grove.v1.logs.>`), so `grove logs` can show
 * lines written before it connected. Agents publish plain NATS messages; the stream captures them.
 */
export const LOGS_STREAM = "GROVE_LOGS";

/** Lines kept per instance. */
export const LOG_LINES_PER_INSTANCE = 1000;

/** Creates the logs stream unless it exists. */
export async function ensureLogsStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(LOGS_STREAM);
  } catch {
    await jsm.streams.add({
      name: LOGS_STREAM,
      subjects: [subjects.allLogs],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: LOG_LINES_PER_INSTANCE,
      max_age: 24 * 3600 * 1_000_000_000,
      max_bytes: 1024 * 1024 * 1024,
    });
  }
}
