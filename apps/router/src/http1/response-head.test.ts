import { describe, expect, it } from "vitest";
import { clientResponseHead, MalformedResponse, parseResponseHead } from "./response-head";

const head = (...lines: string[]) => `${lines.join("\r\n")}\r\n`;

describe("parseResponseHead", () => {
  it("frames by Content-Length and keeps the connection of an HTTP/1.1 endpoint", () => {
    const parsed = parseResponseHead(head("HTTP/1.1 200 OK", "Content-Length: 5"), "GET");
    expect(parsed).toMatchObject({ status: 200, body: "length", contentLength: 5, keepAlive: true });
  });

  it.each([
    ["HEAD", "HTTP/1.1 200 OK", "HEAD"],
    ["204", "HTTP/1.1 204 No Content", "GET"],
    ["304", "HTTP/1.1 304 Not Modified", "GET"],
    ["a 1xx", "HTTP/1.1 100 Continue", "POST"],
  ])("gives %s no body whatever its headers say", (_what, statusLine, method) => {
    const parsed = parseResponseHead(
      head(statusLine, "Content-Length: 10", "Transfer-Encoding: chunked"),
      method,
    );
    expect(parsed.body).toBe("none");
  });

  it("prefers chunked to Content-Length and reads to close without either", () => {
    expect(parseResponseHead(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked"), "GET").body).toBe(
      "chunked",
    );
    const unframed = parseResponseHead(head("HTTP/1.1 200 OK", "Content-Type: text/plain"), "GET");
    expect(unframed).toMatchObject({ body: "close", keepAlive: false });
    expect(parseResponseHead(head("HTTP/1.1 200 OK", "Transfer-Encoding: gzip"), "GET").body).toBe("close");
  });

  it("never passes Content-Length beside Transfer-Encoding, nor drops it because Connection names it", () => {
    const both = parseResponseHead(
      head("HTTP/1.1 200 OK", "Content-Length: 10", "Transfer-Encoding: chunked", "X: y"),
      "GET",
    );
    expect(both).toMatchObject({ body: "chunked", transferEncoding: true });
    expect(both.kept).toBe(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "X: y"));
    const named = parseResponseHead(
      head("HTTP/1.1 200 OK", "Connection: Content-Length", "Content-Length: 2"),
      "GET",
    );
    expect(named.kept).toBe(head("HTTP/1.1 200 OK", "Content-Length: 2"));
  });

  it("says whether chunked is the body's only transfer coding", () => {
    const only = (...values: string[]) =>
      parseResponseHead(head("HTTP/1.1 200 OK", ...values.map((v) => `Transfer-Encoding: ${v}`)), "GET")
        .onlyChunked;
    expect(only("chunked")).toBe(true);
    expect(only("Chunked ", " ")).toBe(true);
    expect(only("gzip, chunked")).toBe(false);
    expect(only("gzip", "chunked")).toBe(false);
    expect(only("gzip")).toBe(false);
  });

  it("takes header lines ending in a bare LF, as CGI scripts write them, and passes them on with CRLF", () => {
    const cgi = parseResponseHead("HTTP/1.0 200 OK\r\nContent-Type: text/plain\n", "GET");
    expect(cgi).toMatchObject({ status: 200, body: "close" });
    expect(cgi.kept).toBe(head("HTTP/1.0 200 OK", "Content-Type: text/plain"));
    expect(() => parseResponseHead("HTTP/1.1 200 OK\r\nX: a\rb\r\n", "GET")).toThrow(MalformedResponse);
  });

  it("closes after Connection: close, and after HTTP/1.0 unless it says keep-alive", () => {
    const close = head("HTTP/1.1 200 OK", "Connection: close", "Content-Length: 0");
    expect(parseResponseHead(close, "GET").keepAlive).toBe(false);
    expect(parseResponseHead(head("HTTP/1.0 200 OK", "Content-Length: 0"), "GET").keepAlive).toBe(false);
    const kept = head("HTTP/1.0 200 OK", "Connection: keep-alive", "Content-Length: 0");
    expect(parseResponseHead(kept, "GET").keepAlive).toBe(true);
  });

  it("drops hop-by-hop headers and the endpoint's X-Request-Id, keeping the rest byte for byte", () => {
    const parsed = parseResponseHead(
      head(
        "HTTP/1.1 200 OK",
        "Date: Sat, 28 Nov 2026 12:00:00 GMT",
        "Connection: keep-alive, X-Hop",
        "Keep-Alive: timeout=5",
        "X-Hop: 1",
        "x-request-id: theirs",
        "Content-Length: 5",
      ),
      "GET",
    );
    expect(parsed.kept).toBe(
      head("HTTP/1.1 200 OK", "Date: Sat, 28 Nov 2026 12:00:00 GMT", "Content-Length: 5"),
    );
  });

  it("keeps Connection and Upgrade on a 101", () => {
    const parsed = parseResponseHead(
      head("HTTP/1.1 101 Switching Protocols", "Connection: Upgrade", "Upgrade: ws"),
      "GET",
    );
    expect(parsed.kept).toContain("Connection: Upgrade\r\nUpgrade: ws\r\n");
  });

  it.each([
    ["garbage", head("HTTP/1.1 2x0 OK")],
    ["not HTTP/1", head("ICY 200 OK")],
    ["a bad Content-Length", head("HTTP/1.1 200 OK", "Content-Length: -1")],
    ["conflicting Content-Lengths", head("HTTP/1.1 200 OK", "Content-Length: 1", "Content-Length: 2")],
  ])("rejects %s", (_what, text) => {
    expect(() => parseResponseHead(text, "GET")).toThrow(MalformedResponse);
  });
});

describe("clientResponseHead", () => {
  it("adds the request id, and Connection only when the client connection's fate needs saying", () => {
    const parsed = parseResponseHead(head("HTTP/1.1 200 OK", "Content-Length: 0"), "GET");
    expect(clientResponseHead(parsed, "id", undefined)).toBe(
      "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Request-Id: id\r\n\r\n",
    );
    expect(clientResponseHead(parsed, "id", "close")).toMatch(
      /X-Request-Id: id\r\nConnection: close\r\n\r\n$/,
    );
  });

  it("drops Transfer-Encoding from a body it takes out of its chunks, and adds it to one it chunks", () => {
    const chunked = parseResponseHead(head("HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "X: y"), "GET");
    expect(clientResponseHead(chunked, "id", "close", "unchunked")).toBe(
      "HTTP/1.1 200 OK\r\nX: y\r\nX-Request-Id: id\r\nConnection: close\r\n\r\n",
    );
    const unframed = parseResponseHead(head("HTTP/1.1 200 OK", "X: y"), "GET");
    expect(clientResponseHead(unframed, "id", undefined, "chunked")).toBe(
      "HTTP/1.1 200 OK\r\nX: y\r\nX-Request-Id: id\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
  });
});
