import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ExecutableNotFound, RuntimeFailed } from "../errors";
import { runCommand } from "../runtime/run-command";
import { isExecutableNotFound, lastRuntimeError, logOffset } from "../runtime/runtime-log";
import type { WindowSize } from "../types";

/** The listening socket of a container's grove-init, in its init directory (grove-monitor -l). */
export const initSocketName = "init.sock";

export interface LaunchRequest {
  monitorBinary: string;
  /** the process directory: stdout, stderr, pid, exitcode, control.sock end up here */
  dir: string;
  /**
   * What starts the process: a runtime command line that writes its pid file to `<dir>/pid` and
   * logs to `logPath` (`listenForInit`: it starts a container whose grove-init gets the init socket
   * as fd 3, so it must carry `--preserve-fds 1`), or a request to a running container's grove-init
   * (`initSocket` relative to `dir`, `requestFile` as written by `initRequest`).
   */
  start: { runtimeArgv: string[]; listenForInit?: boolean } | { initSocket: string; requestFile: string };
  logPath: string;
  /** allocate a TTY (a runtime command line must then use `--console-socket console.sock`) */
  tty?: WindowSize | true;
  operation: string;
  binary?: string;
}

/**
 * Starts a process under a new grove-monitor and resolves once it is running (the monitor then
 * lives on by itself). Failure carries the runtime's or the init's own message.
 */
export async function launchUnderMonitor(request: LaunchRequest): Promise<void> {
  const ttyArgs =
    request.tty === undefined
      ? []
      : ["-t", request.tty === true ? "0,0" : `${request.tty.rows},${request.tty.columns}`];
  const offset = await logOffset(request.logPath);
  const { start } = request;
  const argv =
    "runtimeArgv" in start
      ? [...(start.listenForInit ? ["-l"] : []), request.dir, ...start.runtimeArgv]
      : ["-x", request.dir, start.initSocket, start.requestFile];
  const result = await runCommand(request.monitorBinary, [...ttyArgs, ...argv]);
  if (result.exitCode === 0) return;
  const message =
    (await lastRuntimeError(request.logPath, offset)) ||
    (await readFile(join(request.dir, "monitor.log"), "utf8").catch(() => "")).trim() ||
    (await readFile(join(request.dir, "stderr"), "utf8").catch(() => "")).trim() ||
    result.stderr.trim();
  if (request.binary && isExecutableNotFound(message)) throw new ExecutableNotFound(request.binary, message);
  throw new RuntimeFailed(request.operation, message, result.exitCode);
}
