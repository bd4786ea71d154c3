import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";

/**
 * `fetch` over node:http(s), for short-lived processes such as the CLI. Node's own fetch (undici)
 * parses responses with a WebAssembly module whose background tier-up compilation holds
 * `process.exit` for ~100 ms, and loading it costs ~30 ms more: about a third of a `grove apps list`.
 * Same contract where the client relies on it: streamed request and response bodies, the signal
 * (a rejection with its reason, as fetch does), and network failures as `TypeError("fetch failed")`
 * with the errno in `cause`.
 */
export function httpFetch(input: Request): Promise<Response> {
  const url = new URL(input.url);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const headers: Record<string, string> = {};
  input.headers.forEach((value, key) => {
    headers[key] = value;
  });
  const signal = input.signal;
  return new Promise<Response>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const fail = (error: unknown) =>
      reject(signal.aborted ? signal.reason : new TypeError("fetch failed", { cause: error }));
    const req = send(url, { method: input.method, headers, signal }, (res: IncomingMessage) => {
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        for (const one of [value ?? []].flat()) responseHeaders.append(name, one);
      }
      const status = res.statusCode ?? 0;
      const empty = input.method === "HEAD" || status === 204 || status === 304;
      if (empty) res.resume();
      resolve(
        new Response(empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
          status,
          statusText: res.statusMessage ?? "",
          headers: responseHeaders,
        }),
      );
    });
    req.on("error", fail);
    if (input.body) {
      const body = Readable.fromWeb(input.body as NodeReadableStream<Uint8Array>);
      body.on("error", (error) => req.destroy(error));
      body.pipe(req);
    } else req.end();
  });
}
