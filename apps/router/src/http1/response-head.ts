import {
  Coding,
  hasBareCr,
  hasBareLf,
  hasToken,
  keepHeaderLines,
  mergeContentLength,
  mergeTransferEncoding,
  nameIs,
} from "./header-text";
import { connectionNamedHeaders, dropNamedHeaders } from "./request-head";

/** An endpoint's response the router cannot frame: the exchange fails with a 502. */
export class MalformedResponse extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedResponse";
  }
}

/** How the response body ends: no body, after Content-Length bytes, after the last chunk, or at EOF. */
export type ResponseBody = "none" | "length" | "chunked" | "close";

export interface ResponseHead {
  status: number;
  body: ResponseBody;
  contentLength: number;
  /** the endpoint's connection can carry another request after this response */
  keepAlive: boolean;
  /** the response names a Transfer-Encoding (its Content-Length, if any, is dropped) */
  transferEncoding: boolean;
  /** chunked is the body's only transfer coding: without its framing the body is the content */
  onlyChunked: boolean;
  /** the status line and the header lines to pass on, each ending in CRLF */
  kept: string;
}

/**
 * Parses a response head (latin1, status line to the line break ending the last header line) to a
 * request with `method`: works out the body's framing (RFC 9112 §6.3) and drops hop-by-hop headers
 * and X-Request-Id, which the router sets itself. A 101 keeps its Connection and Upgrade headers.
 * Lines may end in a bare LF (CGI scripts write them; RFC 9112 §2.2 lets a recipient take them):
 * the kept head has CRLFs. Content-Length is dropped beside Transfer-Encoding.
 */
export function parseResponseHead(raw: string, method: string): ResponseHead {
  if (raw.includes("\0") || hasBareCr(raw))
    throw new MalformedResponse("NUL or stray CR in the response head");
  const text = hasBareLf(raw) ? raw.replace(CRLF_OR_LF, "\r\n") : raw;
  const lineEnd = text.indexOf("\r\n");
  const badLine = lineEnd < 12 || (lineEnd > 12 && text.charCodeAt(12) !== 32) || text.charCodeAt(8) !== 32;
  if (!text.startsWith("HTTP/1.") || badLine)
    throw new MalformedResponse(`bad status line '${text.slice(0, Math.max(lineEnd, 0))}'`);
  const status = Number(text.slice(9, 12));
  if (!Number.isInteger(status) || status < 100) throw new MalformedResponse("bad status code");
  const minor = text.charCodeAt(7) === 49 ? 1 : 0;
  const switching = status === 101;
  let contentLength = -1;
  let coding = Coding.None;
  let connection = "";
  let codings = "";
  let kept = keepHeaderLines(
    text,
    lineEnd + 2,
    (pos, colon, end) => {
      let drop = false;
      switch (colon - pos) {
        case 2:
          drop = nameIs(text, pos, colon, "te");
          break;
        case 7:
          drop = !switching && nameIs(text, pos, colon, "upgrade");
          break;
        case 10:
          if (nameIs(text, pos, colon, "connection")) {
            connection += `,${text
              .slice(colon + 1, end)
              .trim()
              .toLowerCase()}`;
            drop = !switching;
          } else drop = nameIs(text, pos, colon, "keep-alive");
          break;
        case 12:
          drop = nameIs(text, pos, colon, "x-request-id");
          break;
        case 14:
          if (nameIs(text, pos, colon, "content-length")) {
            const length = mergeContentLength(text, colon, end, contentLength);
            if (typeof length === "string") throw new MalformedResponse(length);
            contentLength = length;
          }
          break;
        case 16:
          drop = nameIs(text, pos, colon, "proxy-connection");
          break;
        case 17:
          if (nameIs(text, pos, colon, "transfer-encoding")) {
            coding = mergeTransferEncoding(text, colon + 1, end, coding);
            codings += `,${text.slice(colon + 1, end)}`;
          }
          break;
      }
      return drop;
    },
    (reason) => new MalformedResponse(reason),
  );

  let body: ResponseBody;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) body = "none";
  else if (coding !== Coding.None) body = coding === Coding.Chunked ? "chunked" : "close";
  else if (contentLength !== -1) body = contentLength === 0 ? "none" : "length";
  else body = "close";
  const keepAlive =
    body !== "close" && (minor === 1 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive"));
  if (!switching && connection !== "" && connection !== ",keep-alive" && connection !== ",close") {
    const named = connectionNamedHeaders(connection);
    if (named.length > 0) kept = dropNamedHeaders(kept, lineEnd + 2, named);
  }
  const transferEncoding = coding !== Coding.None;
  if (transferEncoding && contentLength !== -1)
    kept = dropNamedHeaders(kept, lineEnd + 2, ["content-length"]);
  const onlyChunked = body === "chunked" && isOnlyChunked(codings);
  return {
    status,
    body,
    contentLength: Math.max(contentLength, 0),
    keepAlive,
    transferEncoding,
    onlyChunked,
    kept,
  };
}

/** Whether a Transfer-Encoding list (comma-separated, maybe with empty elements) is `chunked` alone. */
function isOnlyChunked(codings: string): boolean {
  const named = codings.split(",").filter((coding) => coding.trim() !== "");
  return named.length === 1 && named[0]?.trim().toLowerCase() === "chunked";
}

const CRLF_OR_LF = /\r?\n/g;

/**
 * How the router re-frames a body for the client: `chunked` for one that ends with the endpoint's
 * connection, to a client that keeps its own; `unchunked` for a chunked one to an HTTP/1.0 client,
 * which cannot read chunks (it gets the data, and the end of its connection ends the body).
 */
export type Reframing = "chunked" | "unchunked" | undefined;

/**
 * The head written to the client: the kept lines, the request id, Transfer-Encoding when the router
 * re-frames a body as chunked (none when it takes the chunks apart), and a Connection header when
 * the client connection closes after this response (or is an HTTP/1.0 one kept open).
 */
export function clientResponseHead(
  head: ResponseHead,
  requestId: string,
  connection: "close" | "keep-alive" | undefined,
  reframing: Reframing = undefined,
): string {
  let kept = head.kept;
  let coding = "";
  if (reframing === "chunked") coding = "Transfer-Encoding: chunked\r\n";
  else if (reframing === "unchunked")
    kept = dropNamedHeaders(kept, kept.indexOf("\r\n") + 2, ["transfer-encoding"]);
  if (connection === undefined) return `${kept}X-Request-Id: ${requestId}\r\n${coding}\r\n`;
  return `${kept}X-Request-Id: ${requestId}\r\n${coding}Connection: ${connection}\r\n\r\n`;
}
