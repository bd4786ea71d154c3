import { hasToken, keepHeaderLines, mergeContentLength, nameIs } from "./header-text";

/** A request the router refuses to forward: answered with `status` and the connection closed. */
export class MalformedRequest extends Error {
  constructor(
    readonly status: 400 | 431 | 501 | 505,
    message: string,
  ) {
    super(message);
    this.name = "MalformedRequest";
  }
}

export type RequestBody = "none" | "length" | "chunked";

/** What the router needs of a request head; the bytes themselves are forwarded, not re-serialised. */
export interface RequestHead {
  method: string;
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1 */
  minor: 0 | 1;
  host: string;
  body: RequestBody;
  contentLength: number;
  /** the client wants the connection kept open after the response */
  keepAlive: boolean;
  /** the Upgrade header's value when the request asks for a protocol switch */
  upgrade: string | undefined;
  requestId: string | undefined;
  forwardedFor: string | undefined;
  forwardedProto: string | undefined;
  /** the request line and the header lines to pass on, each ending in CRLF */
  kept: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** NUL, or CR and LF that are not a CRLF pair */
const BAD_BYTES = /\0|\r(?!\n)|(?<!\r)\n/;
const BAD_TARGET = /[\0-\x20\x7f]/;

/**
 * Parses a request head: `text` is its latin1 decoding from the request line up to and including
 * the CRLF that ends the last header line. Drops hop-by-hop headers (and those the Connection
 * header names) and the X-Forwarded-* / X-Request-Id lines the router rewrites; throws
 * MalformedRequest for what RFC 9112 says to reject, and for bodies whose length is ambiguous.
 */
export function parseRequestHead(text: string): RequestHead {
  if (BAD_BYTES.test(text)) throw new MalformedRequest(400, "stray CR, LF or NUL in the head");
  const lineEnd = text.indexOf("\r\n");
  const sp1 = text.indexOf(" ");
  const sp2 = sp1 === -1 ? -1 : text.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 === -1 || sp2 > lineEnd) throw new MalformedRequest(400, "bad request line");
  const method = text.slice(0, sp1);
  const target = text.slice(sp1 + 1, sp2);
  const version = text.slice(sp2 + 1, lineEnd);
  if (!TOKEN.test(method)) throw new MalformedRequest(400, "bad method");
  if (target.length === 0 || BAD_TARGET.test(target)) throw new MalformedRequest(400, "bad request target");
  let minor: 0 | 1;
  if (version === "HTTP/1.1") minor = 1;
  else if (version === "HTTP/1.0") minor = 0;
  else if (/^HTTP\/\d\.\d$/.test(version)) throw new MalformedRequest(505, `unsupported ${version}`);
  else throw new MalformedRequest(400, "bad HTTP version");
  if (method === "CONNECT") throw new MalformedRequest(501, "CONNECT is not supported");

  let host: string | undefined;
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connection = "";
  let upgrade: string | undefined;
  let requestId: string | undefined;
  let forwardedFor: string | undefined;
  let forwardedProto: string | undefined;
  let kept = keepHeaderLines(
    text,
    lineEnd + 2,
    (pos, colon, end) => {
      if (!isToken(text, pos, colon))
        throw new MalformedRequest(400, `bad header name '${text.slice(pos, colon)}'`);
      let drop = false;
      switch (colon - pos) {
        case 2:
          drop = nameIs(text, pos, colon, "te");
          break;
        case 4:
          if (nameIs(text, pos, colon, "host")) {
            if (host !== undefined) throw new MalformedRequest(400, "more than one Host header");
            host = value(text, colon, end);
          }
          break;
        case 7:
          if (nameIs(text, pos, colon, "upgrade")) {
            upgrade = value(text, colon, end);
            drop = true;
          } else drop = nameIs(text, pos, colon, "trailer");
          break;
        case 10:
          if (nameIs(text, pos, colon, "connection")) {
            connection += `,${value(text, colon, end).toLowerCase()}`;
            drop = true;
          } else drop = nameIs(text, pos, colon, "keep-alive");
          break;
        case 12:
          if (nameIs(text, pos, colon, "x-request-id")) {
            requestId ??= value(text, colon, end);
            drop = true;
          }
          break;
        case 14:
          if (nameIs(text, pos, colon, "content-length")) {
            const length = mergeContentLength(text, colon, end, contentLength);
            if (typeof length === "string") throw new MalformedRequest(400, length);
            contentLength = length;
          }
          break;
        case 15:
          if (nameIs(text, pos, colon, "x-forwarded-for")) {
            const v = value(text, colon, end);
            forwardedFor = forwardedFor === undefined ? v : `${forwardedFor}, ${v}`;
            drop = true;
          }
          break;
        case 16:
          drop = nameIs(text, pos, colon, "proxy-connection") || nameIs(text, pos, colon, "x-forwarded-host");
          break;
        case 17:
          if (nameIs(text, pos, colon, "transfer-encoding")) {
            const v = value(text, colon, end);
            transferEncoding = transferEncoding === undefined ? v : `${transferEncoding}, ${v}`;
          } else if (nameIs(text, pos, colon, "x-forwarded-proto")) {
            forwardedProto ??= value(text, colon, end);
            drop = true;
          }
          break;
      }
      return drop;
    },
    (reason) => new MalformedRequest(400, reason),
  );

  if (host === undefined) {
    if (minor === 1) throw new MalformedRequest(400, "HTTP/1.1 request without a Host header");
    host = "";
  }
  let body: RequestBody = contentLength > 0 ? "length" : "none";
  if (transferEncoding !== undefined) {
    if (contentLength !== -1) throw new MalformedRequest(400, "both Transfer-Encoding and Content-Length");
    if (!/(^|,)\s*chunked\s*$/i.test(transferEncoding))
      throw new MalformedRequest(400, "Transfer-Encoding without chunked last");
    body = "chunked";
  }
  const keepAlive = minor === 1 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
  if (!hasToken(connection, "upgrade")) upgrade = undefined;
  if (connection !== "") {
    const named = connectionNamedHeaders(connection);
    if (named.length > 0) kept = dropNamedHeaders(kept, lineEnd + 2, named);
  }
  return {
    method,
    target,
    minor,
    host,
    body,
    contentLength: Math.max(contentLength, 0),
    keepAlive,
    upgrade,
    requestId,
    forwardedFor,
    forwardedProto,
    kept,
  };
}

const STANDARD_CONNECTION_TOKENS = new Set(["close", "keep-alive", "upgrade"]);

/** Header names a Connection header value (lower case) lists besides close, keep-alive, upgrade. */
export function connectionNamedHeaders(connection: string): string[] {
  return connection
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "" && !STANDARD_CONNECTION_TOKENS.has(t));
}

function value(text: string, colon: number, end: number): string {
  return text.slice(colon + 1, end).trim();
}

/** RFC 9110 token characters: ! # $ % & ' * + - . ^ _ ` | ~ digits letters */
function isToken(text: string, start: number, end: number): boolean {
  if (start === end) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 126 || TOKEN_CHAR[c] !== 1) return false;
  }
  return true;
}

const TOKEN_CHAR = new Uint8Array(127);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN_CHAR[c.charCodeAt(0)] = 1;

/** Removes the header lines the Connection header names (RFC 9110 §7.6.1). */
export function dropNamedHeaders(head: string, from: number, names: string[]): string {
  let out = head.slice(0, from);
  let pos = from;
  while (pos < head.length) {
    const end = head.indexOf("\r\n", pos) + 2;
    const name = head.slice(pos, head.indexOf(":", pos)).toLowerCase();
    if (!names.includes(name)) out += head.slice(pos, end);
    pos = end;
  }
  return out;
}

/**
 * The head sent to an endpoint: the kept lines, then X-Forwarded-For (appended to a prior value),
 * X-Forwarded-Proto (the client's, else http), X-Forwarded-Host, X-Request-Id, and the
 * Connection/Upgrade pair for protocol switches.
 */
export function forwardedRequestHead(head: RequestHead, clientIp: string, requestId: string): string {
  const forwardedFor = head.forwardedFor === undefined ? clientIp : `${head.forwardedFor}, ${clientIp}`;
  let out = `${head.kept}X-Forwarded-For: ${forwardedFor}\r\nX-Forwarded-Proto: ${head.forwardedProto ?? "http"}\r\n`;
  if (head.host !== "") out += `X-Forwarded-Host: ${head.host}\r\n`;
  out += `X-Request-Id: ${requestId}\r\n`;
  if (head.upgrade !== undefined) out += `Connection: Upgrade\r\nUpgrade: ${head.upgrade}\r\n`;
  return `${out}\r\n`;
}
