import type { Socket } from "node:net";
import type { Logger } from "pino";
import { hijackedHead } from "./raw-response";
import type { StreamRegistry } from "./streams";

/**
 * Serves one stdout/stderr side connection: a 200 head, then the raw bytes of the stream, and
 * the connection closes when the stream ends. An unknown stream id (or one handed out for another
 * process) gets the reference's answer: 200 and an immediate close.
 */
export function serveSideStream(opts: {
  socket: Socket;
  streams: StreamRegistry;
  handle: string;
  processId: string;
  streamId: string;
  which: "stdout" | "stderr";
  log: Logger;
}): Promise<void> {
  const { socket, log } = opts;
  const process = opts.streams.lookup(opts.streamId, opts.handle, opts.processId);
  socket.setNoDelay(true);
  socket.write(hijackedHead(200));
  if (!process) {
    log.debug({ streamId: opts.streamId }, "unknown stream id");
    socket.end();
    return Promise.resolve();
  }
  const source = opts.which === "stdout" ? process.stdout() : process.stderr();
  return new Promise<void>((resolve) => {
    source.on("error", (error) => {
      log.error({ err: error, stream: opts.which }, "reading process output failed");
      socket.end();
    });
    socket.on("error", (error) => log.debug({ err: error }, "side connection error"));
    socket.on("close", () => {
      source.destroy();
      resolve();
    });
    // The client never sends anything here; reading keeps 'close' firing when it hangs up.
    socket.on("data", () => {});
    socket.resume();
    source.pipe(socket);
  });
}
