import type { Socket } from "node:net";
import { MalformedRequest } from "../errors";
import type { RequestHead } from "../request-head";

export const maxHijackedBodyBytes = 16 * 1024 * 1024;

/** Decodes a complete chunked body at the start of `buffer`; null while more bytes are needed. */
export function decodeChunked(buffer: Buffer): { body: Buffer; consumed: number } | null {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = buffer.indexOf("\r\n", offset);
    if (lineEnd === -1) return null;
    const sizeText = buffer.subarray(offset, lineEnd).toString("latin1").split(";")[0]?.trim() ?? "";
    if (!/^[0-9a-fA-F]+$/.test(sizeText)) throw new MalformedRequest("malformed chunked request body");
    const size = Number.parseInt(sizeText, 16);
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // No trailers are expected: the body ends with an empty line.
      const end = buffer.indexOf("\r\n", dataStart);
      if (end === -1) return null;
      return { body: Buffer.concat(parts), consumed: end + 2 };
    }
    if (buffer.length < dataStart + size + 2) return null;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    offset = dataStart + size + 2;
  }
}

/** How much of `buffer` is the body; null while incomplete. */
export function splitBody(head: RequestHead, buffer: Buffer): { body: Buffer; rest: Buffer } | null {
  if (head.headers["transfer-encoding"]?.toLowerCase().includes("chunked")) {
    const decoded = decodeChunked(buffer);
    return decoded && { body: decoded.body, rest: buffer.subarray(decoded.consumed) };
  }
  const length = Number(head.headers["content-length"] ?? "0");
  if (!Number.isInteger(length) || length < 0) throw new MalformedRequest("malformed Content-Length");
  if (length > maxHijackedBodyBytes) throw new MalformedRequest("request body too large");
  if (buffer.length < length) return null;
  return { body: buffer.subarray(0, length), rest: buffer.subarray(length) };
}

/**
 * Reads the request body that follows a head on a raw socket; `rest` holds the bytes after the
 * body (the first frames, if the client was quick). Leaves the socket paused.
 */
export function readRawBody(
  socket: Socket,
  head: RequestHead,
  initial: Buffer,
): Promise<{ body: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let received = initial;
    const done = (result?: { body: Buffer; rest: Buffer }, error?: Error) => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.pause();
      if (error) reject(error);
      else if (result) resolve(result);
    };
    const attempt = () => {
      try {
        const result = splitBody(head, received);
        if (result) done(result);
        return result !== null;
      } catch (error) {
        done(undefined, error as Error);
        return true;
      }
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > maxHijackedBodyBytes + 64)
        done(undefined, new MalformedRequest("request body too large"));
      else attempt();
    };
    const onEnd = () =>
      done(undefined, new MalformedRequest("connection closed before the request body arrived"));
    if (attempt()) return;
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.resume();
  });
}
