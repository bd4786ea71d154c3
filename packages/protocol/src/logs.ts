import { z } from "zod";
import { count, id, isoTimestamp } from "./common";
import { defineMessage, versionAt } from "./message";

/** Longest line an agent sends; longer output is split by the agent. */
export const MAX_LOG_LINE_CHARS = 16_384;

/**
 * agent → subscribers on `subjects.logs(cellId, tenantId, appId, instanceId)`: one line of an instance's
 * output. Version 2: no credential; the publishing cell is the one in the subject.
 */
export const LogLine = defineMessage(
  "logs.line",
  z.object({
    v: versionAt(2),
    cellId: id,
    appId: id,
    instanceId: id,
    index: count,
    stream: z.enum(["stdout", "stderr"]),
    line: z.string().max(MAX_LOG_LINE_CHARS),
    at: isoTimestamp,
  }),
  { version: 2 },
);
export type LogLine = z.output<typeof LogLine.schema>;
