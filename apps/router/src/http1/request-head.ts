import { METHODS } from "node:http";
import {
  Coding,
  hasBareCr,
  hasBareLf,
  hasToken,
  keepHeaderLines,
  mergeTransferEncoding,
  nameIs,
  parseContentLength,
} from "./header-text";

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

/** the methods llhttp knows (Node's list is llhttp's) */
const KNOWN_METHODS = new Set(METHODS);
/** control characters other than HTAB, CR and LF (one character class: V8 scans it fast) */
const CONTROL = /[^\t\r\n\x20-\x7e\x80-\xff]/;
const BOTH = "both Transfer-Encoding and Content-Length";
/** anything but visible ASCII */
const NOT_VISIBLE = /[^\x21-\x7e]/;

/**
 * Parses a request head: `text` is its latin1 decoding from the request line up to and including
 * the CRLF that ends the last header line. Drops hop-by-hop headers (and those the Connection
 * header names, never the framing ones or Host) and the X-Forwarded-* / X-Request-Id lines the
 * router rewrites. Accepts what llhttp (Node's parser, strict) accepts, framed as llhttp frames it,
 * and throws MalformedRequest for the rest, and also for what RFC 9112 makes a server refuse that
 * llhttp lets through: HTTP/1.1 without exactly one Host, versions other than 1.0 and 1.1.
 */
export function parseRequestHead(text: string): RequestHead {
  if (CONTROL.test(text) || hasBareLf(text) || hasBareCr(text))
    throw new MalformedRequest(400, "control character, stray CR or LF in the head");
  const lineEnd = text.indexOf("\r\n");
  const sp1 = text.indexOf(" ");
  if (sp1 <= 0 || sp1 > lineEnd) throw new MalformedRequest(400, "bad request line");
  const method = text.slice(0, sp1);
  if (!KNOWN_METHODS.has(method)) throw new MalformedRequest(400, "unknown method");
  let from = sp1 + 1;
  while (text.charCodeAt(from) === 32) from++;
  const sp2 = text.indexOf(" ", from);
  if (sp2 === -1 || sp2 > lineEnd) {
    if (from === lineEnd) throw new MalformedRequest(400, "bad request line");
    throw new MalformedRequest(505, "HTTP/0.9 is not supported");
  }
  if (method === "CONNECT") throw new MalformedRequest(501, "CONNECT is not supported");
  const target = text.slice(from, sp2);
  if (!isRequestTarget(target)) throw new MalformedRequest(400, "bad request target");
  let version = sp2 + 1;
  while (text.charCodeAt(version) === 32) version++;
  let minor: 0 | 1;
  if (lineEnd - version !== 8 || !text.startsWith("HTTP/", version))
    throw new MalformedRequest(400, "bad HTTP version");
  else if (text.startsWith("1.1", version + 5)) minor = 1;
  else if (text.startsWith("1.0", version + 5)) minor = 0;
  else if (text.startsWith("2.0", version + 5) || text.startsWith("0.9", version + 5))
    throw new MalformedRequest(505, `unsupported ${text.slice(version, lineEnd)}`);
  else throw new MalformedRequest(400, "bad HTTP version");

  let host: string | undefined;
  let contentLength = -1;
  let coding = Coding.None;
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
            if (contentLength !== -1) throw new MalformedRequest(400, "more than one Content-Length");
            if (coding !== Coding.None) throw new MalformedRequest(400, BOTH);
            contentLength = parseContentLength(text, colon + 1, end);
            if (contentLength === -1) throw new MalformedRequest(400, "bad Content-Length");
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
            // llhttp refuses even an empty one after a Content-Length
            if (contentLength !== -1) throw new MalformedRequest(400, BOTH);
            coding = mergeTransferEncoding(text, colon + 1, end, coding);
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
  if (coding !== Coding.None) {
    if (coding !== Coding.Chunked) throw new MalformedRequest(400, "Transfer-Encoding without chunked last");
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

/**
 * Connection options that are not header names, and headers a message is never stripped of: the
 * body is framed by Content-Length or Transfer-Encoding whatever Connection says, so removing them
 * would hand the next hop a body it reads differently (request smuggling).
 */
const NEVER_DROPPED = new Set([
  "close",
  "keep-alive",
  "upgrade",
  "content-length",
  "transfer-encoding",
  "host",
]);

/** Header names a Connection header value (lower case) lists that may be dropped (RFC 9110 §7.6.1). */
export function connectionNamedHeaders(connection: string): string[] {
  return connection
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "" && !NEVER_DROPPED.has(t));
}

function value(text: string, colon: number, end: number): string {
  return text.slice(colon + 1, end).trim();
}

/**
 * A request target llhttp accepts outside CONNECT: origin form or `*` followed by visible ASCII, or
 * absolute form (letters, `://`, authority characters, then visible ASCII after `/` or `?`).
 */
function isRequestTarget(target: string): boolean {
  const first = target.charCodeAt(0);
  if (first === 47 || first === 42) return !NOT_VISIBLE.test(target);
  let i = 0;
  while (isLetter(target.charCodeAt(i))) i++;
  if (i === 0 || !target.startsWith("://", i)) return false;
  for (i += 3; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 47 || c === 63) return !NOT_VISIBLE.test(target);
    if (c > 126 || AUTHORITY_CHAR[c] !== 1) return false;
  }
  return true;
}

function isLetter(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

/** what llhttp takes in the authority of an absolute-form target */
const AUTHORITY_CHAR = new Uint8Array(127);
for (const c of "!$%&'()*+,-.:;=@[]_~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  AUTHORITY_CHAR[c.charCodeAt(0)] = 1;

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
