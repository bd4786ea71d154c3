/**
 * Requests right at Node's header limit, in the ways a head reaches it. llhttp, as Node drives it,
 * counts the request target, header names and header values from their first character other than
 * a space or tab (trailing spaces count), and refuses the head once that count reaches the limit;
 * trailer sections are counted the same, from zero. Each shape comes one byte below the limit (the
 * largest llhttp takes), at it, and one byte past it; several are between 16.4 and 70 KB on the
 * wire, where a limit on the bytes on the wire would disagree with llhttp.
 */
import { maxHeaderSize } from "node:http";
import { type Case, HOST, SECOND } from "./request-corpus";

/** What llhttp does with the case's request at the limit. */
export type Verdict = "takes" | "refuses" | "waits";

export interface SizeCase extends Case {
  verdict: Verdict;
}

const LIMIT = maxHeaderSize;
/** what `GET /first` and `Host: diff.test` count: 6 + 4 + 9 */
const BASE = 19;

function head(headers: string[], target = "/first", method = "GET"): string {
  return `${method} ${target} HTTP/1.1\r\nHost: ${HOST}\r\n${headers.map((h) => `${h}\r\n`).join("")}\r\n`;
}

/** Head shapes: each makes a request whose head counts `n` bytes. */
const shapes: [string, (n: number) => string][] = [
  ["one long value", (n) => head([`X: ${"v".repeat(n - BASE - 1)}`]) + SECOND],
  ["a long target", (n) => head([], `/first${"t".repeat(n - BASE)}`) + SECOND],
  [
    "4,000 two-byte headers and a filler (about 33 KB on the wire)",
    (n) => head([...Array(4_000).fill("a: b"), `z: ${"v".repeat(n - BASE - 8_000 - 1)}`]) + SECOND,
  ],
  [
    "one-letter headers with empty values (about 65 KB on the wire)",
    (n) => head(Array(n - BASE).fill("a:")) + SECOND,
  ],
  ["a value padded with trailing spaces", (n) => head([`X: v${" ".repeat(n - BASE - 2)}`]) + SECOND],
  [
    "values after 2,000 spaces or tabs each (about 32 KB on the wire)",
    (n) => {
      const padded = (i: number, value: string) => `P${i}:${(i % 2 ? "\t" : " ").repeat(2_000)}${value}`;
      const lines = Array.from({ length: 7 }, (_, i) => padded(i, "v".repeat(1_000)));
      lines.push(padded(7, "v".repeat(n - BASE - 8 * 2 - 7 * 1_000)));
      return head(lines) + SECOND;
    },
  ],
  ["an unfinished head", (n) => `GET /first HTTP/1.1\r\nHost: ${HOST}\r\nX: ${"v".repeat(n - BASE - 1)}`],
  [
    "the second request of a pipeline",
    (n) =>
      `POST /zero HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\n\r\nhello` +
      head([`X: ${"v".repeat(n - BASE - 1)}`]) +
      SECOND,
  ],
  [
    "a trailer section (counted on its own)",
    (n) =>
      `${head(["Transfer-Encoding: chunked"], "/first", "POST")}5\r\nhello\r\n0\r\n` +
      `T: ${"t".repeat(n - 4)}\r\nU:  ab\r\n\r\n${SECOND}`,
  ],
];

export function headSizeCorpus(): SizeCase[] {
  const cases: SizeCase[] = [];
  for (const [shape, make] of shapes)
    for (const [delta, where] of [
      [-1, "one byte below"],
      [0, "at"],
      [1, "one byte past"],
    ] as const) {
      const unfinished = shape === "an unfinished head";
      cases.push({
        group: "head-size",
        name: `${shape}, ${where} the limit`,
        bytes: Buffer.from(make(LIMIT + delta), "latin1"),
        verdict: delta < 0 ? (unfinished ? "waits" : "takes") : "refuses",
      });
    }
  return cases;
}
