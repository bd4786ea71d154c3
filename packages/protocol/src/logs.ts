import { z } from "zod";
import { cellAuth, count, id, isoTimestamp } from "./common";
import { defineMessage, versionField } from "./message";

/** Longest line an agent sends; longer output is split by the agent. */
export const MAX_LOG_LINE_CHARS = 16_384;

/** agent → subscribers on `subjects.logs(appId, instanceId)`: one line of an instance's output. */
export const LogLine = defineMessage(
  "logs.line",
  z.object({
    v: versionField,
    ...cellAuth,
    appId: id,
    instanceId: id,
    index: count,
    stream: z.enum(["stdout", "stderr"]),
    line: z.string().max(MAX_LOG_LINE_CHARS),
    at: isoTimestamp,
  }),
);
export type LogLine = z.output<typeof LogLine.schema>;
