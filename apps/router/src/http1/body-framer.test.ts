import { describe, expect, it } from "vitest";
import { BodyFramer, MalformedChunk } from "./body-framer";

/** Feeds `text` to `framer` in slices of `step` bytes; returns the offset where the body ended, or -1. */
function feed(framer: BodyFramer, text: string, step: number): number {
  const bytes = Buffer.from(text, "latin1");
  for (let start = 0; start < bytes.length; start += step) {
    const end = Math.min(bytes.length, start + step);
    const found = framer.take(bytes, start, end);
    if (found !== -1) return found;
  }
  return -1;
}

describe("BodyFramer", () => {
  it("ends a Content-Length body after that many bytes, across reads", () => {
    expect(feed(BodyFramer.length(5), "hel", 1)).toBe(-1);
    expect(feed(BodyFramer.length(5), "helloGET / HTTP/1.1", 2)).toBe(5);
  });

  it("finds the end of a chunked body fed whole or a byte at a time", () => {
    const body = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";
    for (const step of [1, 3, body.length])
      expect(feed(BodyFramer.chunked(), `${body}NEXT`, step)).toBe(body.length);
  });

  it("takes sizes with leading zeros and extensions llhttp takes", () => {
    const body = '00000000000000000003;a=b;c="d\\"e";f;=g\r\nabc\r\n0;last\r\n\r\n';
    expect(feed(BodyFramer.chunked(), body, 1)).toBe(body.length);
  });

  it("takes 16 KiB of extension names and values per chunk, as Node does, and no more", () => {
    const within = `5;a=${"b".repeat(8191)};${"c".repeat(8192)}\r\nhello\r\n5;${"d".repeat(16384)}\r\nhello\r\n0\r\n\r\n`;
    expect(feed(BodyFramer.chunked(), within, 1000)).toBe(within.length);
    expect(() => feed(BodyFramer.chunked(), `5;a="${"b".repeat(16382)}"\r\n`, 1000)).toThrow(MalformedChunk);
  });

  it("reads past trailer fields", () => {
    const body = "3\r\nabc\r\n0\r\nChecksum: 1\r\nMore: 2\r\n\r\n";
    expect(feed(BodyFramer.chunked(), `${body}x`, 4)).toBe(body.length);
  });

  it("takes a trailer section that counts one byte below the limit as Node counts it, names and values", () => {
    // "T" + 16,379 t + "U" + "ab" (leading spaces do not count) = 16,383
    const within = `0\r\nT: ${"t".repeat(16_379)}\r\nU:   ab\r\n\r\n`;
    expect(feed(BodyFramer.chunked(16_384), within, 1000)).toBe(within.length);
    const at = `0\r\nT: ${"t".repeat(16_380)}\r\nU:   ab\r\n\r\n`;
    expect(() => feed(BodyFramer.chunked(16_384), at, 1000)).toThrow("trailer section too large");
  });

  it("hands the chunks' data to a listener without their framing", () => {
    const parts: string[] = [];
    const framer = BodyFramer.chunked(16_384, (buf, start, end) =>
      parts.push(Buffer.from(buf.subarray(start, end)).toString("latin1")),
    );
    const body = "5;x=y\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nT: 1\r\n\r\n";
    expect(feed(framer, body, 3)).toBe(body.length);
    expect(parts.join("")).toBe("hello world");
  });

  it("never ends a body delimited by the connection closing", () => {
    expect(feed(BodyFramer.untilClose(), "a".repeat(100), 7)).toBe(-1);
  });

  it.each([
    ["a size that is not hex", "zz\r\n"],
    ["a missing CRLF after data", "3\r\nabcX"],
    ["a size line ended by a bare LF", "3\nabc"],
    ["a size past 2^64 - 1", "10000000000000000\r\n"],
    ["spaces after the size", "3 \r\nabc"],
    ["an empty chunk extension", "3;\r\nabc"],
    ["an unterminated quoted extension value", '3;a="b\r\nabc'],
    ["a bare LF after the data", "3\r\nabc\n0\r\n\r\n"],
    ["an obs-fold in a trailer", "0\r\nA: b\r\n c\r\n\r\n"],
    ["a control character in a trailer", "0\r\nA: \x01\r\n\r\n"],
  ])("rejects %s", (_what, text) => {
    expect(() => feed(BodyFramer.chunked(), text, 1)).toThrow(MalformedChunk);
  });
});
