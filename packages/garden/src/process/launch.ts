import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { ExecutableNotFound, RuntimeFailed } from "../errors";
import { isExecutableNotFound, lastRuntimeError, logOffset } from "../runtime/runtime-log";
import type { WindowSize } from "../types";

export interface LaunchRequest {
  monitorBinary: string;
  /** the process directory: stdout, stderr, pid, exitcode, control.sock end up here */
  dir: string;
  /** the runtime command line; must write its pid file to `<dir>/pid` and log to `logPath` */
  runtimeArgv: string[];
  logPath: string;
  /** allocate a TTY (runtime command line must then use `--console-socket console.sock`) */
  tty?: WindowSize | true;
  operation: string;
  binary?: string;
}

/**
 * Starts a runtime command under a new grove-monitor and resolves once the container process is
 * running (the monitor then lives on by itself). Failure carries the runtime's own message.
 */
export async function launchUnderMonitor(request: LaunchRequest): Promise<void> {
  const ttyArgs =
    request.tty === undefined
      ? []
      : ["-t", request.tty === true ? "0,0" : `${request.tty.rows},${request.tty.columns}`];
  const offset = await logOffset(request.logPath);
  const result = await execa(request.monitorBinary, [...ttyArgs, request.dir, ...request.runtimeArgv], {
    reject: false,
    stdin: "ignore",
  });
  if (result.exitCode === 0) return;
  const message =
    (await lastRuntimeError(request.logPath, offset)) ||
    (await readFile(join(request.dir, "monitor.log"), "utf8").catch(() => "")).trim() ||
    (await readFile(join(request.dir, "stderr"), "utf8").catch(() => "")).trim() ||
    result.stderr.trim();
  if (request.binary && isExecutableNotFound(message)) throw new ExecutableNotFound(request.binary, message);
  throw new RuntimeFailed(request.operation, message, result.exitCode);
}
