import type { IncomingMessage, ServerResponse } from "node:http";
import { MalformedRequest } from "../errors";
import { parseJsonBody } from "../json-body";
import { errorToWire } from "../wire/error-body";
import { encodeGo } from "../wire/go-json";

export const maxJsonBodyBytes = 16 * 1024 * 1024;

/** Writes one Go-encoded JSON value; every response closes its connection, as the client expects. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = encodeGo(value);
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    Connection: "close",
  });
  res.end(body);
}

export function sendSuccess(res: ServerResponse): void {
  sendJson(res, {});
}

export function sendError(res: ServerResponse, error: unknown): void {
  const { status, body } = errorToWire(error);
  if (res.headersSent) {
    // Mid-stream failure (StreamOut): the only honest signal left is a broken connection.
    res.destroy();
    return;
  }
  sendJson(res, body, status);
}

/** Reads and parses a JSON body; an empty or malformed one is a MalformedRequest. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxJsonBodyBytes) throw new MalformedRequest("request body too large");
    chunks.push(chunk);
  }
  return parseJsonBody(Buffer.concat(chunks));
}
