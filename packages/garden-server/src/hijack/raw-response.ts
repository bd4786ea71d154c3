import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { errorToWire } from "../wire/error-body";
import { encodeGo } from "../wire/go-json";

/**
 * The head of a hijacked response. It announces `Transfer-Encoding: chunked` although the body
 * that follows is raw: Go's net/http writes exactly this when a handler hijacks after
 * WriteHeader, and the stock client refuses the response without it.
 */
export function hijackedHead(status: number): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
    "Content-Type: application/json\r\n" +
    `Date: ${new Date().toUTCString()}\r\n` +
    "Transfer-Encoding: chunked\r\n\r\n"
  );
}

/** An error response on a raw socket (before any hijack), which is then closed. */
export function writeRawError(socket: Socket, error: unknown, statusOverride?: number): void {
  const wire = errorToWire(error);
  const status = statusOverride ?? wire.status;
  const body = wire.body;
  const text = Buffer.from(encodeGo(body));
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "Content-Type: application/json\r\n" +
      `Date: ${new Date().toUTCString()}\r\n` +
      `Content-Length: ${text.length}\r\n` +
      "Connection: close\r\n\r\n",
  );
  socket.end(text);
}
