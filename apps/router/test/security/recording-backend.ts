import { maxHeaderSize } from "node:http";
import type { Socket } from "node:net";
import { tcpBackend } from "../fixtures";
import { Llhttp, type ParsedRequest } from "./llhttp";

/** An endpoint that reads requests with llhttp, keeps every one it read in full, and answers each. */
export interface RecordingBackend {
  port: number;
  /** every request read to its end, on any connection, in the order they ended */
  readonly requests: ParsedRequest[];
}

/**
 * Starts the endpoint on an ephemeral port (closed after the test). It answers `200 ok` with a
 * Content-Length, and closes after a request that llhttp says ends the connection. Its header limit
 * is twice Node's default: the router adds X-Forwarded-* and X-Request-Id to a head it takes just
 * under the limit.
 */
export async function recordingBackend(): Promise<RecordingBackend> {
  const requests: ParsedRequest[] = [];
  const backend = await tcpBackend((socket: Socket) => {
    const parser = new Llhttp((request) => {
      requests.push(request);
      const last = !request.keepAlive || request.upgrade;
      const body = request.method === "HEAD" ? "" : "ok";
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Length: 2\r\n${last ? "Connection: close\r\n" : ""}\r\n${body}`,
      );
      if (last) socket.end();
    }, 2 * maxHeaderSize);
    socket.on("data", (chunk: Buffer) => {
      parser.feed(chunk);
      if (parser.error !== undefined) socket.destroy();
    });
    socket.on("close", () => parser.close());
  });
  return { port: backend.port, requests };
}
