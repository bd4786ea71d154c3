import { readFile } from "node:fs/promises";
import { endianness } from "node:os";
import { join, relative } from "node:path";
import { ChildFailed, tryChild } from "@grove/child";
import { ExecutableNotFound, RuntimeFailed } from "../errors";
import { runtimeHint } from "../runtime/oci-runtime";
import { isExecutableNotFound, lastRuntimeError, logOffset } from "../runtime/runtime-log";
import type { WindowSize } from "../types";
import { connectControl, frame, SPAWN_MONITOR } from "./control-client";

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
   * (`initDir`: the init's monitor directory; `requestFile` as written by `initRequest`).
   */
  start:
    | { runtimeArgv: string[]; logPath: string; listenForInit?: boolean }
    | { initDir: string; requestFile: string };
  /** allocate a TTY (a runtime command line must then use `--console-socket console.sock`) */
  tty?: WindowSize | true;
  operation: string;
  binary?: string;
  /** stdout/stderr files are moved aside at this size (grove-monitor -o) */
  outputCapBytes: number;
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
  const capArgs = ["-o", String(request.outputCapBytes)];
  const { start } = request;
  // Only the runtime writes a log; its last error is the best message.
  const runtimeLog =
    "runtimeArgv" in start ? { path: start.logPath, offset: await logOffset(start.logPath) } : undefined;
  let result: { exitCode: number | undefined; stderr: string } | undefined;
  if ("runtimeArgv" in start) {
    const argv = [...(start.listenForInit ? ["-l"] : []), request.dir, ...start.runtimeArgv];
    result = await tryChild(request.monitorBinary, [...ttyArgs, ...capArgs, ...argv]);
  } else {
    // The init socket is reached relative to the process directory: depot paths may be longer
    // than a unix socket address.
    const initSocket = join(relative(request.dir, start.initDir), initSocketName);
    const window = ttyArgs[1] ?? "";
    // The init's monitor forks the new monitor (much cheaper than starting one from here); a
    // new one from the command line when that monitor is not there.
    result =
      (await forkFromInitMonitor(start.initDir, [request.dir, initSocket, start.requestFile, window])) ??
      (await tryChild(request.monitorBinary, [
        ...ttyArgs,
        ...capArgs,
        "-x",
        request.dir,
        initSocket,
        start.requestFile,
      ]));
  }
  if (result.exitCode === 0) return;
  const message =
    (runtimeLog ? await lastRuntimeError(runtimeLog.path, runtimeLog.offset) : "") ||
    (await readFile(join(request.dir, "monitor.log"), "utf8").catch(() => "")).trim() ||
    (await readFile(join(request.dir, "stderr"), "utf8").catch(() => "")).trim() ||
    result.stderr.trim();
  if (request.binary && isExecutableNotFound(message)) throw new ExecutableNotFound(request.binary, message);
  const hint = runtimeLog
    ? runtimeHint(runtimeLog.path)
    : `See ${join(request.dir, "monitor.log")}; the container's init may have died (is the container still running?).`;
  const tool = "runtimeArgv" in start ? (start.runtimeArgv[0] ?? "runtime") : "grove-monitor";
  const failure = new ChildFailed(tool, { ...result, stderr: message }, hint);
  throw new RuntimeFailed(request.operation, message, failure);
}

/**
 * Asks a container's init monitor to fork the monitor of a new process ('x' frame, see
 * grove-monitor.c) and returns its start status, or undefined when that monitor does not take it.
 */
async function forkFromInitMonitor(
  initDir: string,
  fields: string[],
): Promise<{ exitCode: number | undefined; stderr: string } | undefined> {
  const socket = await connectControl(initDir).catch(() => undefined);
  if (!socket) return undefined;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.on("close", () => {
      const status = Buffer.concat(chunks);
      // Closed without an answer: the init monitor was busy with as many clients as it takes,
      // and forked nothing (a forked monitor always answers, if only with its failure).
      if (status.length < 4) {
        resolve(undefined);
        return;
      }
      const exitCode = endianness() === "LE" ? status.readInt32LE(0) : status.readInt32BE(0);
      resolve({ exitCode, stderr: "" });
    });
    socket.write(frame(SPAWN_MONITOR, Buffer.from(`${fields.join("\0")}\0`)));
  });
}
