import { describe, expect, it } from "vitest";
import { forwardedRequestHead, MalformedRequest, parseRequestHead } from "./request-head";

/** a head as the proxy hands it to the parser: up to the CRLF ending the last header line */
const head = (...lines: string[]) => `${lines.join("\r\n")}\r\n`;

function rejection(text: string): number | undefined {
  try {
    parseRequestHead(text);
  } catch (error) {
    if (error instanceof MalformedRequest) return error.status;
    throw error;
  }
  return undefined;
}

describe("parseRequestHead", () => {
  it("reads method, target, version, host and the client's X-Request-Id", () => {
    const parsed = parseRequestHead(
      head("GET /a?b=1 HTTP/1.1", "Host: Web.Example.com:8080", "X-Request-Id: abc"),
    );
    expect(parsed).toMatchObject({
      method: "GET",
      target: "/a?b=1",
      minor: 1,
      host: "Web.Example.com:8080",
      body: "none",
      keepAlive: true,
      requestId: "abc",
    });
  });

  it("keeps the request line and end-to-end headers byte for byte and drops hop-by-hop ones", () => {
    const parsed = parseRequestHead(
      head(
        "POST /upload HTTP/1.1",
        "Host: a",
        "Connection: keep-alive, X-Secret",
        "Keep-Alive: timeout=5",
        "X-Secret: 1",
        "TE: trailers",
        "Proxy-Connection: keep-alive",
        "Content-Type: text/plain",
        "Content-Length: 3",
      ),
    );
    expect(parsed.kept).toBe(
      head("POST /upload HTTP/1.1", "Host: a", "Content-Type: text/plain", "Content-Length: 3"),
    );
    expect(parsed).toMatchObject({ body: "length", contentLength: 3 });
  });

  it("drops the X-Forwarded-* and X-Request-Id lines the router writes itself, keeping prior values", () => {
    const parsed = parseRequestHead(
      head(
        "GET / HTTP/1.1",
        "Host: a",
        "X-Forwarded-For: 10.0.0.1",
        "x-forwarded-for: 10.0.0.2",
        "X-Forwarded-Proto: https",
        "X-Forwarded-Host: evil",
      ),
    );
    expect(parsed.kept).toBe(head("GET / HTTP/1.1", "Host: a"));
    expect(parsed.forwardedFor).toBe("10.0.0.1, 10.0.0.2");
    expect(parsed.forwardedProto).toBe("https");
  });

  it("frames chunked bodies, and keeps Transfer-Encoding as the body passes through unchanged", () => {
    const parsed = parseRequestHead(head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip, chunked"));
    expect(parsed.body).toBe("chunked");
    expect(parsed.kept).toContain("Transfer-Encoding: gzip, chunked\r\n");
  });

  it("honours Connection: close on HTTP/1.1 and keep-alive on HTTP/1.0", () => {
    expect(parseRequestHead(head("GET / HTTP/1.1", "Host: a", "Connection: close")).keepAlive).toBe(false);
    expect(parseRequestHead(head("GET / HTTP/1.0")).keepAlive).toBe(false);
    expect(parseRequestHead(head("GET / HTTP/1.0", "Connection: Keep-Alive")).keepAlive).toBe(true);
  });

  it("sees an upgrade only when Connection lists it", () => {
    const asked = parseRequestHead(
      head("GET /ws HTTP/1.1", "Host: a", "Connection: Upgrade", "Upgrade: websocket"),
    );
    expect(asked.upgrade).toBe("websocket");
    expect(asked.kept).toBe(head("GET /ws HTTP/1.1", "Host: a"));
    expect(parseRequestHead(head("GET / HTTP/1.1", "Host: a", "Upgrade: websocket")).upgrade).toBeUndefined();
  });

  it("never drops the framing headers or Host because Connection names them", () => {
    const parsed = parseRequestHead(
      head(
        "POST / HTTP/1.1",
        "Host: a",
        "Connection: Content-Length, Transfer-Encoding, Host, X-Hop",
        "X-Hop: 1",
        "Content-Length: 5",
      ),
    );
    expect(parsed.kept).toBe(head("POST / HTTP/1.1", "Host: a", "Content-Length: 5"));
    expect(parsed).toMatchObject({ body: "length", contentLength: 5 });
  });

  it("accepts what llhttp accepts in the request line and framing headers", () => {
    expect(parseRequestHead(head("GET  http://a@b/x?y#z  HTTP/1.1", "Host: a")).target).toBe(
      "http://a@b/x?y#z",
    );
    expect(parseRequestHead(head("OPTIONS * HTTP/1.1", "Host: a")).target).toBe("*");
    expect(parseRequestHead(head("POST / HTTP/1.1", "Host: a", "Content-Length:\t007 ")).contentLength).toBe(
      7,
    );
    const coded = head(
      "POST / HTTP/1.1",
      "Host: a",
      "Transfer-Encoding: gzip,",
      "Transfer-Encoding: ,Chunked ",
    );
    expect(parseRequestHead(coded).body).toBe("chunked");
  });

  it.each([
    ["a request line that is not method, target, version", head("GET", "Host: a"), 400],
    ["an HTTP/0.9 request line", head("GET /", "Host: a"), 505],
    ["a method llhttp does not know", head("FOO / HTTP/1.1", "Host: a"), 400],
    ["a target with a byte past ASCII", head("GET /\xe9 HTTP/1.1", "Host: a"), 400],
    ["a relative target", head("GET a/b HTTP/1.1", "Host: a"), 400],
    ["a control character in a header value", head("GET / HTTP/1.1", "Host: a", "X: \x01"), 400],
    ["a bare CR inside the head", "GET / HTTP/1.1\r\nHost: a\rX: y\r\n", 400],
    [
      "two equal Content-Lengths",
      head("POST / HTTP/1.1", "Host: a", "Content-Length: 1", "Content-Length: 1"),
      400,
    ],
    ["a Content-Length list", head("POST / HTTP/1.1", "Host: a", "Content-Length: 1, 1"), 400],
    [
      "chunked before another coding",
      head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, gzip"),
      400,
    ],
    [
      "chunked twice",
      head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Transfer-Encoding: chunked"),
      400,
    ],
    ["a space before the colon", head("GET / HTTP/1.1", "Host : a"), 400],
    ["an obs-fold continuation line", head("GET / HTTP/1.1", "Host: a", " folded"), 400],
    ["a header line without a colon", head("GET / HTTP/1.1", "Host: a", "nonsense"), 400],
    ["a bare LF inside the head", "GET / HTTP/1.1\r\nHost: a\nX: y\r\n", 400],
    ["HTTP/1.1 without Host", head("GET / HTTP/1.1"), 400],
    ["two Host headers", head("GET / HTTP/1.1", "Host: a", "Host: b"), 400],
    [
      "Content-Length and Transfer-Encoding together",
      head("POST / HTTP/1.1", "Host: a", "Content-Length: 1", "Transfer-Encoding: chunked"),
      400,
    ],
    [
      "conflicting Content-Lengths",
      head("POST / HTTP/1.1", "Host: a", "Content-Length: 1", "Content-Length: 2"),
      400,
    ],
    ["a Content-Length that is not a number", head("POST / HTTP/1.1", "Host: a", "Content-Length: 1x"), 400],
    [
      "a Transfer-Encoding that does not end in chunked",
      head("POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip"),
      400,
    ],
    ["HTTP/2.0 on an HTTP/1 connection", head("GET / HTTP/2.0", "Host: a"), 505],
    ["CONNECT", head("CONNECT a:443 HTTP/1.1", "Host: a"), 501],
  ])("rejects %s", (_what, text, status) => {
    expect(rejection(text)).toBe(status);
  });
});

describe("forwardedRequestHead", () => {
  it("appends X-Forwarded-For to a prior value and adds proto, host and request id", () => {
    const parsed = parseRequestHead(head("GET / HTTP/1.1", "Host: a:8080", "X-Forwarded-For: 10.0.0.1"));
    expect(forwardedRequestHead(parsed, "127.0.0.1", "id-1")).toBe(
      `${head(
        "GET / HTTP/1.1",
        "Host: a:8080",
        "X-Forwarded-For: 10.0.0.1, 127.0.0.1",
        "X-Forwarded-Proto: http",
        "X-Forwarded-Host: a:8080",
        "X-Request-Id: id-1",
      )}\r\n`,
    );
  });

  it("asks the endpoint for the upgrade the client asked for", () => {
    const parsed = parseRequestHead(
      head("GET / HTTP/1.1", "Host: a", "Connection: upgrade", "Upgrade: echo"),
    );
    expect(forwardedRequestHead(parsed, "::1", "id")).toContain(
      "Connection: Upgrade\r\nUpgrade: echo\r\n\r\n",
    );
  });
});
