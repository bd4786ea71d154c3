import { subjects } from "@grove/protocol";
import { DiscardPolicy, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

/**
 * The JetStream stream that keeps recent log lines (`grove.v1.logs.<app>.<cell>.<instance>`), so `grove logs`
 * can show lines written before it connected. Agents publish plain NATS messages, each cell on its
 * own subjects; the stream captures them.
 */
export const LOGS_STREAM = "GROVE_LOGS";

/** Lines kept per instance. */
export const LOG_LINES_PER_INSTANCE = 1000;

/** Shapes of log subjects before this one: no cell (`logs.<app>.<instance>`), cell first. */
const OLD_LOG_SUBJECTS = ["grove.v1.logs.*.*", "grove.v1.cells.*.logs.*.*"];

/**
 * Creates the logs stream unless it exists. A stream made before log subjects carried the cell is
 * moved to the new subjects and its old lines (which name no cell, and carried its credential) are
 * purged.
 */
export async function ensureLogsStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  let existing: Awaited<ReturnType<typeof jsm.streams.info>>;
  try {
    existing = await jsm.streams.info(LOGS_STREAM);
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
    return;
  }
  if (existing.config.subjects?.join() !== subjects.allLogs) {
    for (const filter of OLD_LOG_SUBJECTS) await jsm.streams.purge(LOGS_STREAM, { filter });
    await jsm.streams.update(LOGS_STREAM, { ...existing.config, subjects: [subjects.allLogs] });
  }
}
