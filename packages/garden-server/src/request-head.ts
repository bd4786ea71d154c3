import type { Socket } from "node:net";
import { MalformedRequest } from "./errors";

/** The parts of an HTTP/1.1 request head the wire server routes on. */
export interface RequestHead {
  method: string;
  path: string;
  query: URLSearchParams;
  /** lower-cased names; the last value wins */
  headers: Record<string, string>;
}

const headEnd = Buffer.from("\r\n\r\n");
export const maxHeadBytes = 64 * 1024;

/** Parses a complete request head (up to, not including, the blank line). */
export function parseRequestHead(text: string): RequestHead {
  const [requestLine = "", ...headerLines] = text.split("\r\n");
  const match = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine);
  if (!match)
    throw new MalformedRequest(`malformed request line: ${JSON.stringify(requestLine.slice(0, 200))}`);
  const [, method = "", target = ""] = match;
  const url = new URL(target, "http://api");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    if (colon <= 0)
      throw new MalformedRequest(`malformed header line: ${JSON.stringify(line.slice(0, 200))}`);
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, path: url.pathname, query: url.searchParams, headers };
}

/** Finds the end of the head in what has arrived so far; -1 while it is incomplete. */
export function findHeadEnd(buffer: Buffer): number {
  return buffer.indexOf(headEnd);
}

/**
 * Reads from `socket` until a whole request head has arrived. Resolves with the parsed head and
 * every byte read so far (head included), leaving the socket paused with no listener of ours.
 */
export function readRequestHead(
  socket: Socket,
  timeoutMs: number,
): Promise<{ head: RequestHead; raw: Buffer; headLength: number }> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      socket.pause();
      if (error) reject(error);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = findHeadEnd(received);
      if (end === -1) {
        if (received.length > maxHeadBytes) finish(new MalformedRequest("request head too large"));
        return;
      }
      finish();
      try {
        const head = parseRequestHead(received.subarray(0, end).toString("latin1"));
        resolve({ head, raw: received, headLength: end + headEnd.length });
      } catch (error) {
        reject(error);
      }
    };
    const onEnd = () =>
      finish(
        // nothing sent: nobody to answer; a partial head gets a 400
        received.length === 0
          ? new Error("connection closed without a request")
          : new MalformedRequest("connection closed before a request head arrived"),
      );
    const onError = (error: Error) => finish(error);
    const timer = setTimeout(
      () => finish(new MalformedRequest("timed out waiting for a request head")),
      timeoutMs,
    );
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", onError);
  });
}
