import { connect, type Socket } from "node:net";
import type { Readable } from "node:stream";

/**
 * A Garden client written for the tests that speaks the protocol byte for byte as the stock Go
 * client does: one connection per request, `Host: api`, `Connection: close`, JSON bodies ending
 * in a newline; Run/Attach and the stdout/stderr side connections read the raw bytes behind a
 * response head that claims `Transfer-Encoding: chunked`.
 */

export type Address = { socketPath: string } | { host: string; port: number };

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  text: string;
  json<T = unknown>(): T;
}

function dial(address: Address): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket =
      "socketPath" in address ? connect(address.socketPath) : connect(address.port, address.host);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

function target(path: string, query?: Record<string, string>): string {
  const qs = query ? new URLSearchParams(query).toString() : "";
  return qs ? `${path}?${qs}` : path;
}

function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: api", "User-Agent: Go-http-client/1.1"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

/** Writes raw bytes on a fresh connection, half-closes if asked, and returns all the server sent. */
export async function rawExchange(
  address: Address,
  bytes: string,
  options: { end?: boolean } = {},
): Promise<Buffer> {
  const socket = await dial(address);
  const done = readAll(socket);
  socket.write(bytes);
  if (options.end) socket.end();
  return done;
}

/** Splits a response into head and what follows; null while the head is incomplete. */
export function splitResponseHead(
  buffer: Buffer,
): { status: number; headers: Record<string, string>; rest: Buffer } | null {
  const end = buffer.indexOf("\r\n\r\n");
  if (end === -1) return null;
  const [statusLine = "", ...lines] = buffer.subarray(0, end).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, rest: buffer.subarray(end + 4) };
}

/** Decodes an HTTP/1.1 chunked body (the whole body is present). */
export function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd === -1) throw new Error("truncated chunked body");
    const size = Number.parseInt(body.subarray(offset, lineEnd).toString("latin1"), 16);
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
}

function toResponse(raw: Buffer): WireResponse {
  const split = splitResponseHead(raw);
  if (!split)
    throw new Error(`no HTTP response head in ${JSON.stringify(raw.toString("latin1").slice(0, 200))}`);
  const body = split.headers["transfer-encoding"] === "chunked" ? dechunk(split.rest) : split.rest;
  const text = body.toString("utf8");
  return {
    status: split.status,
    headers: split.headers,
    body,
    text,
    json<T>() {
      return JSON.parse(text) as T;
    },
  };
}

export interface RequestOptions {
  query?: Record<string, string>;
  /** a JSON value (encoded as Go does: text + "\n") */
  json?: unknown;
  /** a raw body; a Readable is sent chunked, as Go sends an io.Reader of unknown length */
  raw?: Buffer | string | Readable;
  contentType?: string;
}

/** One ordinary request on its own connection; resolves with the whole response once the server closes. */
export async function request(
  address: Address,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<WireResponse> {
  const socket = await dial(address);
  const done = readAll(socket);
  const headers: Record<string, string> = {};
  let body: Buffer | Readable | undefined;
  if (options.json !== undefined) {
    body = Buffer.from(`${JSON.stringify(options.json)}\n`);
    headers["Content-Type"] = options.contentType ?? "application/json";
  } else if (options.raw !== undefined) {
    body = typeof options.raw === "string" ? Buffer.from(options.raw) : options.raw;
    if (options.contentType) headers["Content-Type"] = options.contentType;
  }
  if (Buffer.isBuffer(body)) headers["Content-Length"] = String(body.length);
  else if (body) headers["Transfer-Encoding"] = "chunked";
  headers.Connection = "close";
  headers["Accept-Encoding"] = "gzip";
  socket.write(requestHead(method, target(path, options.query), headers));
  if (Buffer.isBuffer(body)) socket.write(body);
  else if (body) {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (chunk.length === 0) continue;
      socket.write(`${chunk.length.toString(16)}\r\n`);
      socket.write(chunk);
      socket.write("\r\n");
    }
    socket.write("0\r\n\r\n");
  }
  return toResponse(await done);
}

/** Reads from a socket until a response head arrived; returns it and the raw bytes behind it. */
function readResponseHead(socket: Socket) {
  return new Promise<{ status: number; headers: Record<string, string>; rest: Buffer; raw: Buffer }>(
    (resolve, reject) => {
      let received = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const split = splitResponseHead(received);
        if (!split) return;
        socket.off("data", onData);
        socket.off("close", onClose);
        socket.pause();
        resolve({ ...split, raw: received });
      };
      const onClose = () =>
        reject(new Error(`connection closed before a response head: ${received.toString()}`));
      socket.on("data", onData);
      socket.once("close", onClose);
      socket.once("error", reject);
    },
  );
}

/** A side connection's raw output, or a refused request. */
export async function openSideStream(
  address: Address,
  handle: string,
  processId: string,
  streamId: string,
  which: "stdout" | "stderr",
  onChunk?: (chunk: Buffer) => void,
): Promise<{ status: number; headers: Record<string, string>; data: Promise<Buffer> }> {
  const socket = await dial(address);
  const path = `/containers/${encodeURIComponent(handle)}/processes/${encodeURIComponent(processId)}/attaches/${streamId}/${which}`;
  socket.write(requestHead("GET", path, { "Content-Type": "application/json", "Accept-Encoding": "gzip" }));
  const head = await readResponseHead(socket);
  const chunks: Buffer[] = [head.rest];
  onChunk?.(head.rest);
  const data = new Promise<Buffer>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      onChunk?.(chunk);
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks)));
  });
  socket.resume();
  return { status: head.status, headers: head.headers, data };
}

export type ExitFrame = { process_id?: string; exit_status?: number; error?: string };

/** The client side of a hijacked Run or Attach connection. */
export interface ProcessSession {
  status: number;
  headers: Record<string, string>;
  processId: string;
  streamId: string;
  stdout: Promise<Buffer>;
  stderr: Promise<Buffer>;
  /** what has arrived on the stdout side connection so far */
  stdoutSoFar(): string;
  /** the last frame (exit_status or error); rejects if the connection ends without one */
  exit: Promise<ExitFrame>;
  /** every line the server sent after the first, as text */
  frames: string[];
  sendStdin(data: string): void;
  closeStdin(): void;
  resize(columns: number, rows: number): void;
  signal(signal: 0 | 1): void;
  /** raw bytes on the main connection (for malformed-frame tests) */
  writeRaw(text: string): void;
  destroy(): void;
}

export class WireError extends Error {
  constructor(readonly response: WireResponse) {
    super(`HTTP ${response.status}: ${response.text}`);
  }
}

async function hijack(
  address: Address,
  method: string,
  path: string,
  body: Buffer | undefined,
  expectedStatus: number,
  handle: string,
  streams: { stdout: boolean; stderr: boolean },
): Promise<ProcessSession> {
  const socket = await dial(address);
  const headers: Record<string, string> = { "Accept-Encoding": "gzip" };
  if (body) {
    headers["Content-Length"] = String(body.length);
    headers["Content-Type"] = "application/json";
  }
  socket.write(requestHead(method, path, headers));
  if (body) socket.write(body);
  const head = await readResponseHead(socket);
  if (head.status < 200 || head.status > 299) {
    socket.resume();
    const raw = Buffer.concat([head.raw, await readAll(socket)]);
    throw new WireError(toResponse(raw));
  }
  if (head.status !== expectedStatus) throw new Error(`expected ${expectedStatus}, got ${head.status}`);

  let pending = "";
  const lines: string[] = [];
  let notify: (() => void) | undefined;
  let closed = false;
  const onData = (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l !== ""));
    notify?.();
  };
  // The first frame often arrives in the same packet as the response head.
  onData(head.rest);
  socket.on("data", onData);
  socket.on("close", () => {
    closed = true;
    notify?.();
  });
  socket.on("error", () => {});
  socket.resume();
  const nextLine = async (): Promise<string | undefined> => {
    while (lines.length === 0 && !closed) await new Promise<void>((r) => (notify = r));
    return lines.shift();
  };

  const first = await nextLine();
  if (!first) throw new Error("connection closed before the process frame");
  const started = JSON.parse(first) as { process_id: string; stream_id: string };
  const frames: string[] = [];
  const exit = (async () => {
    for (;;) {
      const line = await nextLine();
      if (line === undefined) throw new Error("connection closed without an exit frame");
      frames.push(line);
      const frame = JSON.parse(line) as ExitFrame;
      if (frame.exit_status !== undefined || frame.error !== undefined) return frame;
    }
  })();
  exit.catch(() => {});

  const live: Record<"stdout" | "stderr", Buffer[]> = { stdout: [], stderr: [] };
  const side = (which: "stdout" | "stderr") =>
    streams[which]
      ? openSideStream(address, handle, started.process_id, started.stream_id, which, (chunk) =>
          live[which].push(chunk),
        ).then((s) => s.data)
      : Promise.resolve(Buffer.alloc(0));
  const send = (value: unknown) => socket.write(`${JSON.stringify(value)}\n`);
  const pid = started.process_id;
  return {
    status: head.status,
    headers: head.headers,
    processId: pid,
    streamId: started.stream_id,
    stdout: side("stdout"),
    stderr: side("stderr"),
    stdoutSoFar: () => Buffer.concat(live.stdout).toString(),
    exit,
    frames,
    sendStdin: (data) => send({ process_id: pid, source: 0, data }),
    closeStdin: () => send({ process_id: pid, source: 0 }),
    resize: (columns, rows) => send({ process_id: pid, tty: { window_size: { columns, rows } } }),
    signal: (signal) => send({ process_id: pid, signal }),
    writeRaw: (text) => socket.write(text),
    destroy: () => socket.destroy(),
  };
}

/** POST /containers/:handle/processes; throws WireError for an error response. */
export function run(
  address: Address,
  handle: string,
  spec: Record<string, unknown>,
  streams = { stdout: true, stderr: true },
): Promise<ProcessSession> {
  const body = Buffer.from(`${JSON.stringify(spec)}\n`);
  return hijack(
    address,
    "POST",
    `/containers/${encodeURIComponent(handle)}/processes`,
    body,
    201,
    handle,
    streams,
  );
}

/** GET /containers/:handle/processes/:pid; throws WireError for an error response. */
export function attach(
  address: Address,
  handle: string,
  processId: string,
  streams = { stdout: true, stderr: true },
): Promise<ProcessSession> {
  const path = `/containers/${encodeURIComponent(handle)}/processes/${encodeURIComponent(processId)}`;
  return hijack(address, "GET", path, undefined, 200, handle, streams);
}
