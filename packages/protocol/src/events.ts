import { z } from "zod";
import { count, id, isoTimestamp, PortMapping } from "./common";
import { defineMessage, versionAt } from "./message";

const base = {
  v: versionAt(2),
  /** Unique per event; the api applies an event at most once by this id (JetStream may redeliver). */
  eventId: id,
  cellId: id,
  instanceId: id,
  appId: id,
  revision: z.int().positive(),
  index: count,
  at: isoTimestamp,
};

/**
 * agent → api on `subjects.instanceEvents(cellId)` (JetStream): an instance changed state.
 * RUNNING carries where the instance is reachable; CRASHED carries the exit code (absent when the
 * process never started) and a reason — `"oom"` when the kernel killed it for memory. Version 2:
 * no credential; the sender is the cell of the subject (kept so in the stream, too).
 */
export const InstanceEvent = defineMessage(
  "events.instance",
  z.discriminatedUnion("state", [
    z.object({ ...base, state: z.literal("STARTING") }),
    z.object({
      ...base,
      state: z.literal("RUNNING"),
      address: z.union([z.ipv4(), z.ipv6()]).optional(),
      ports: z.array(PortMapping).max(32).default([]),
      /** the container's own address on the cell network (what network policies match on) */
      containerIP: z.ipv4().optional(),
    }),
    z.object({
      ...base,
      state: z.literal("CRASHED"),
      exitCode: z.int().optional(),
      reason: z.union([
        z.enum(["oom", "exited", "health-check-failed", "start-failed", "disk-limit"]),
        z.string().min(1).max(1024),
      ]),
    }),
    z.object({ ...base, state: z.literal("STOPPED"), exitCode: z.int().optional() }),
  ]),
  { version: 2 },
);
export type InstanceEvent = z.output<typeof InstanceEvent.schema>;

/** The most instance events one `InstanceEvents` message carries. */
export const MAX_EVENT_BATCH = 250;

/**
 * agent → api on `subjects.instanceEvents(cellId)` (JetStream), beside single `InstanceEvent`s (v 2):
 * the events of one cell that waited together to be published, in order, in one message. The api
 * applies a batch at most once by its `batchId` (also the message's JetStream id, so a retried
 * publish is stored once), all its events or none. Every event names the batch's cell. An agent
 * sends batches only to an api that said it takes them (`CellStateSyncReply.maxEventBatch`).
 */
export const InstanceEvents = defineMessage(
  "events.instances",
  z
    .object({
      v: versionAt(3),
      batchId: id,
      cellId: id,
      events: z.array(InstanceEvent.schema).min(1).max(MAX_EVENT_BATCH),
    })
    .refine((batch) => batch.events.every((event) => event.cellId === batch.cellId), {
      message: "every event names the batch's cell",
      path: ["events"],
    }),
  { version: 3 },
);
export type InstanceEvents = z.output<typeof InstanceEvents.schema>;
