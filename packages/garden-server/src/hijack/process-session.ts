import type { Socket } from "node:net";
import type { Container, Process } from "@grove/garden";
import type { Logger } from "pino";
import { errorFrame, exitStatusFrame, FrameSplitter, parseClientFrame, processStartedFrame } from "./frames";
import { hijackedHead } from "./raw-response";
import type { StreamRegistry } from "./streams";

export interface SessionOptions {
  socket: Socket;
  container: Container;
  process: Process;
  /** 201 for Run, 200 for Attach */
  status: 201 | 200;
  /** bytes that arrived after the request (early frames) */
  pending: Buffer;
  streams: StreamRegistry;
  log: Logger;
}

/**
 * Serves one hijacked Run/Attach connection: announces the process and its stream id, applies
 * the client's frames (stdin, EOF, resize, signal) and ends with the exit status. The container
 * is held while the connection is open so its grace time cannot expire under a live stream.
 * Resolves when the connection is finished with.
 */
export function serveProcessSession(options: SessionOptions): Promise<void> {
  const { socket, container, process, streams } = options;
  const log = options.log.child({ handle: container.handle, processId: process.id });
  const release = container.hold();
  const streamId = streams.open(container.handle, process);
  socket.setNoDelay(true);
  socket.write(hijackedHead(options.status) + processStartedFrame(process.id, streamId));

  let stdin: ReturnType<Process["stdin"]> | undefined;
  let inputOpen = true;
  const splitter = new FrameSplitter();

  const applyFrame = (line: string) => {
    if (!inputOpen) return;
    const frame = parseClientFrame(line);
    switch (frame.kind) {
      case "stdin":
        stdin ??= openStdin(process, log);
        stdin.write(frame.data);
        break;
      case "stdin-eof":
        stdin ??= openStdin(process, log);
        stdin.end();
        // The reference stops reading input once stdin is closed.
        inputOpen = false;
        break;
      case "resize":
        if (frame.windowSize) {
          process.resize(frame.windowSize).catch((error) => log.debug({ err: error }, "resize failed"));
        }
        break;
      case "signal":
        log.info({ signal: frame.signal }, "signalling process");
        process.signal(frame.signal).catch((error) => log.error({ err: error }, "signal failed"));
        break;
      case "unknown":
        log.error({ reason: frame.reason }, "unknown process payload; ignoring further input");
        inputOpen = false;
        break;
    }
  };

  return new Promise<void>((resolve) => {
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      socket.off("data", onData);
      release();
      streams.release(streamId);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) applyFrame(line);
    };

    socket.on("data", onData);
    socket.on("end", () => {
      for (const line of splitter.end()) applyFrame(line);
      // A half-closed client still waits for the exit frame; keep the socket writable.
    });
    socket.on("close", finish);
    socket.on("error", (error) => log.debug({ err: error }, "process connection error"));
    if (options.pending.length > 0) onData(options.pending);
    socket.resume();

    process.wait().then(
      (status) => {
        log.info({ status }, "process exited");
        if (!socket.destroyed) socket.end(exitStatusFrame(process.id, status));
      },
      (error: Error) => {
        log.error({ err: error }, "waiting for process failed");
        if (!socket.destroyed) socket.end(errorFrame(process.id, error.message));
      },
    );
  });
}

function openStdin(process: Process, log: Logger) {
  const stdin = process.stdin();
  // A process that exits or closes its stdin makes later writes fail; that is not our error.
  stdin.on("error", (error) => log.debug({ err: error }, "stdin write failed"));
  return stdin;
}
