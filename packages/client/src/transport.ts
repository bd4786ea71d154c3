import type { request as httpRequest, IncomingMessage } from "node:http";
import { request as plainRequest } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { Client } from "openapi-fetch";
import { createFinalURL, createQuerySerializer, defaultPathSerializer } from "openapi-fetch";

/** One HTTP request as the client sends it: header names in lower case. */
export interface Exchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | ReadableStream<Uint8Array>;
  signal?: AbortSignal;
}

/** What the client reads of an answer; a fetch `Response` is one. */
export interface Reply {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  /** null for 204, 304 and HEAD */
  readonly body: ReadableStream<Uint8Array> | null;
  text(): Promise<string>;
}

/**
 * Sends an exchange and resolves with the answer's head (its body streams on). Rejects when no
 * answer came: with the signal's reason when it aborted, else a `TypeError` with the cause.
 */
export type Transport = (exchange: Exchange) => Promise<Reply>;

/** A transport over a fetch (the global one, or an in-process app's). */
export function fetchTransport(fetch: (request: Request) => Promise<Response>): Transport {
  return (exchange) =>
    fetch(
      new Request(exchange.url, {
        method: exchange.method,
        headers: exchange.headers,
        body: exchange.body,
        signal: exchange.signal,
        // streaming request bodies need half-duplex in Node's fetch
        ...(isStream(exchange.body) ? { duplex: "half" } : {}),
      } as RequestInit),
    );
}

/**
 * A transport over node:http(s), for short-lived processes such as the CLI: it never touches
 * `fetch`, `Request`, `Response` or `Headers`, whose first use loads undici (~40 ms of a start on a
 * busy 2-core machine), and undici's WebAssembly parser also held `process.exit` for ~100 ms; nor
 * web streams, unless a body is one or is read as one; node:https (and TLS) only for https URLs.
 * Streams request and response bodies; an aborted signal rejects (or ends the body) with its
 * reason; network failures reject as `TypeError("fetch failed")` with the errno in `cause`, as fetch.
 */
export const nodeHttp: Transport = nodeHttpTransport();

/** TLS options for https requests (`ca`…), asked at the first https request only. */
export type TlsOptions = () => Promise<{ ca?: string[] }>;

/** `nodeHttp` with TLS options for https URLs. */
export function nodeHttpTransport(tls?: TlsOptions): Transport {
  return async (exchange) => {
    const url = new URL(exchange.url);
    const https = url.protocol === "https:";
    const send: typeof httpRequest = https ? (await import("node:https")).request : plainRequest;
    const options = https && tls ? await tls() : {};
    return sendOver(send, url, options, exchange);
  };
}

function sendOver(
  send: typeof httpRequest,
  url: URL,
  options: { ca?: string[] },
  exchange: Exchange,
): Promise<Reply> {
  const { signal } = exchange;
  return new Promise<Reply>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const fail = (error: unknown) =>
      reject(signal?.aborted ? signal.reason : new TypeError("fetch failed", { cause: error }));
    const req = send(url, { ...options, method: exchange.method, headers: exchange.headers, signal }, (res) =>
      resolve(new NodeReply(res, exchange.method === "HEAD", signal)),
    );
    req.on("error", fail);
    const { body } = exchange;
    if (isStream(body)) {
      const stream = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
      stream.on("error", (error) => req.destroy(error));
      stream.pipe(req);
    } else req.end(body);
  });
}

/** a web stream body, asked without touching the `ReadableStream` global for other bodies (it loads web streams) */
function isStream(body: Exchange["body"]): body is ReadableStream<Uint8Array> {
  return body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array);
}

class NodeReply implements Reply {
  readonly status: number;
  readonly statusText: string;
  readonly headers: { get(name: string): string | null };
  private readonly empty: boolean;
  private stream: ReadableStream<Uint8Array> | undefined;

  constructor(
    private readonly res: IncomingMessage,
    head: boolean,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? "";
    this.headers = {
      get: (name) => {
        const value = res.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    };
    this.empty = head || this.status === 204 || this.status === 304;
    if (this.empty) res.resume();
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.empty) return null;
    this.stream ??= Readable.toWeb(this.res) as ReadableStream<Uint8Array>;
    return this.stream;
  }

  async text(): Promise<string> {
    if (this.empty) return "";
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of this.res) chunks.push(chunk as Buffer);
    } catch (error) {
      throw this.signal?.aborted ? this.signal.reason : error;
    }
    return Buffer.concat(chunks).toString("utf8");
  }
}

type Init = {
  params?: {
    path?: Record<string, unknown>;
    query?: Record<string, unknown>;
    header?: Record<string, unknown>;
  };
  body?: unknown;
  bodySerializer?: (body: unknown) => Exchange["body"];
  headers?: Record<string, unknown>;
  signal?: AbortSignal;
  parseAs?: "json" | "stream";
};

/**
 * openapi-fetch's typed client (its `GET`, `POST`, `PUT`, `PATCH`, `DELETE` with the same
 * options and results) over a transport. openapi-fetch's own builds a `Request` and `Headers`
 * for every call, which loads undici; this one sends plain objects. Its `response` is a `Reply`
 * (read only `ok`, `status`, `statusText`, `headers.get`, `body` and `text()` of it).
 */
export function createApiClient<Paths extends {}>(options: {
  baseUrl: string;
  headers: Record<string, string>;
  transport: Transport;
}): Client<Paths> {
  const querySerializer = createQuerySerializer();
  async function call(method: string, path: string, init: Init = {}) {
    const { params = {}, body, signal, parseAs = "json" } = init;
    const url = createFinalURL(path, {
      baseUrl: options.baseUrl,
      params,
      querySerializer,
      pathSerializer: defaultPathSerializer,
    });
    const serialized =
      body === undefined ? undefined : init.bodySerializer ? init.bodySerializer(body) : JSON.stringify(body);
    const headers: Record<string, string> =
      serialized === undefined ? {} : { "content-type": "application/json" };
    // as openapi-fetch: later layers win, undefined leaves a header alone, null removes it
    for (const layer of [options.headers, init.headers, params.header]) {
      for (const [name, value] of Object.entries(layer ?? {})) {
        if (value === null) delete headers[name.toLowerCase()];
        else if (value !== undefined) headers[name.toLowerCase()] = String(value);
      }
    }
    const response = await options.transport({ method, url, headers, body: serialized, signal });
    const length = response.headers.get("content-length");
    if (
      response.status === 204 ||
      method === "HEAD" ||
      (length === "0" && !response.headers.get("transfer-encoding")?.includes("chunked"))
    ) {
      return response.ok ? { data: undefined, response } : { error: undefined, response };
    }
    if (response.ok) {
      if (parseAs === "stream") return { data: response.body, response };
      const raw = await response.text();
      return { data: raw ? JSON.parse(raw) : undefined, response };
    }
    let error: unknown = await response.text();
    try {
      error = JSON.parse(error as string);
    } catch {
      // not JSON: the text itself
    }
    return { error, response };
  }
  const method = (name: string) => (path: string, init?: Init) => call(name, path, init);
  return {
    GET: method("GET"),
    PUT: method("PUT"),
    POST: method("POST"),
    PATCH: method("PATCH"),
    DELETE: method("DELETE"),
  } as unknown as Client<Paths>;
}
