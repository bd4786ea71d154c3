import { z } from "zod";
import { id } from "./common";
import { defineMessage, versionField } from "./message";

/** Largest chunk of output (before base64) one `ExecOutput` message carries. */
export const MAX_EXEC_CHUNK_BYTES = 32 * 1024;

/**
 * Bytes of output (before base64) an attach may receive before the api grants more: the agent
 * stops reading the process's output when its credit is spent, so a fast process can never flood
 * the api's NATS connection or memory, however slowly its client reads.
 */
export const EXEC_OUTPUT_WINDOW_BYTES = 1024 * 1024;

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64");
const WindowSize = z.object({ columns: z.int().min(1).max(10_000), rows: z.int().min(1).max(10_000) });
const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * api → agent on `subjects.exec(cellId)` (request/reply): run `command` (argv, looked up on PATH)
 * in a running instance as `vcap` in the app's directory with the app's env. `tenantId` binds the
 * exec: later controls must name the same tenant, so another tenant's exec id is unknown.
 */
export const ExecRequest = defineMessage(
  "exec.request",
  z.object({
    v: versionField,
    execId: id,
    tenantId: id,
    instanceId: id,
    command: z.array(z.string().max(65_536)).min(1).max(1024),
    env: z
      .record(z.string().regex(envName, "must be an environment variable name"), z.string().max(65_536))
      .default({}),
    /** A terminal of this size; without it stdout and stderr are separate pipes. */
    tty: WindowSize.optional(),
  }),
);
export type ExecRequest = z.output<typeof ExecRequest.schema>;

/** Signals an exec'd process can get; `interrupt` is Ctrl-C. */
export const ExecSignal = z.enum(["interrupt", "terminate", "kill"]);
export type ExecSignal = z.infer<typeof ExecSignal>;

/**
 * api → agent on `subjects.execControl(execId)` (request/reply). `attach` starts a stream of the
 * process's output from its first byte to `subjects.execOutput(execId, attachId)`, ending with the
 * exit code, with `window` bytes of credit; `credit` (published, no reply) grants an attach more
 * as the api passes output on. The rest act on the process.
 */
export const ExecControl = defineMessage(
  "exec.control",
  z.object({
    v: versionField,
    tenantId: id,
    action: z.discriminatedUnion("type", [
      z.object({
        type: z.literal("attach"),
        attachId: id,
        window: z
          .int()
          .min(MAX_EXEC_CHUNK_BYTES)
          .max(64 * 1024 * 1024)
          .default(EXEC_OUTPUT_WINDOW_BYTES),
      }),
      z.object({
        type: z.literal("credit"),
        attachId: id,
        bytes: z
          .int()
          .min(1)
          .max(64 * 1024 * 1024),
      }),
      z.object({ type: z.literal("stdin"), data: base64.max(1_400_000), eof: z.boolean().default(false) }),
      z.object({ type: z.literal("signal"), signal: ExecSignal }),
      z.object({ type: z.literal("resize"), ...WindowSize.shape }),
    ]),
  }),
);
export type ExecControl = z.output<typeof ExecControl.schema>;

/** agent → api: the answer to an `ExecRequest` or `ExecControl`; `notFound` for an unknown instance or exec. */
export const ExecReply = defineMessage(
  "exec.reply",
  z.object({
    v: versionField,
    ok: z.boolean(),
    notFound: z.boolean().optional(),
    error: z.string().max(4096).optional(),
  }),
);
export type ExecReply = z.output<typeof ExecReply.schema>;

/**
 * agent → api on `subjects.execOutput(execId, attachId)`: a chunk of output (base64), in order
 * (`seq` counts from 0), and last the exit code.
 */
export const ExecOutput = defineMessage(
  "exec.output",
  z.object({
    v: versionField,
    seq: z.int().nonnegative(),
    event: z.discriminatedUnion("type", [
      z.object({ type: z.literal("output"), stream: z.enum(["stdout", "stderr"]), data: base64 }),
      z.object({ type: z.literal("exit"), exitCode: z.int() }),
    ]),
  }),
);
export type ExecOutput = z.output<typeof ExecOutput.schema>;
