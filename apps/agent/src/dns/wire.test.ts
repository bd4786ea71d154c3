import { describe, expect, it } from "vitest";
import {
  CLASS_IN,
  decodeAnswers,
  decodeQuery,
  encodeAnswer,
  encodeName,
  encodeQuestion,
  MalformedDnsMessage,
  RCODE,
  readName,
  TYPE_A,
  TYPE_AAAA,
  withId,
} from "./wire";

const bytes = (...parts: (number | string)[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === "number" ? [p] : [...p].map((c) => c.charCodeAt(0)))));

/** What `dig example.COM` sends: id 0x1234, RD, one question, an EDNS OPT record. */
const DIG_QUERY = bytes(
  0x12,
  0x34,
  0x01,
  0x20,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  1,
  7,
  "example",
  3,
  "COM",
  0,
  0,
  1,
  0,
  1,
  0,
  0,
  0x29,
  0x10,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
);

describe("DNS wire codec", () => {
  it("reads a stub resolver's query: id, RD, the question lower-cased, EDNS left alone", () => {
    expect(decodeQuery(DIG_QUERY)).toEqual({
      id: 0x1234,
      flags: 0x0120,
      opcode: 0,
      isResponse: false,
      recursionDesired: true,
      questions: [{ name: "example.com", type: TYPE_A, class: CLASS_IN }],
    });
  });

  it("follows compression pointers and reports where the name ended in place", () => {
    // "a.b" at 12, then "x" + pointer to 12 at 17
    const message = bytes(...new Array(12).fill(0), 1, "a", 1, "b", 0, 1, "x", 0xc0, 12);
    expect(readName(message, 12)).toEqual({ name: "a.b", next: 17 });
    expect(readName(message, 17)).toEqual({ name: "x.a.b", next: 21 });
  });

  it("refuses pointer loops, long labels, long names and messages cut short", () => {
    const header = new Array(12).fill(0);
    expect(() => readName(bytes(...header, 0xc0, 12), 12)).toThrow(MalformedDnsMessage);
    expect(() => readName(bytes(...header, 64, ..."a".repeat(64), 0), 12)).toThrow(/label of 64/);
    const long = Array.from({ length: 5 }, () => [63, ..."a".repeat(63)]).flat();
    expect(() => readName(bytes(...header, ...long, 0), 12)).toThrow(/255/);
    expect(() => decodeQuery(bytes(0, 1, 1, 0, 0, 1))).toThrow(/header/);
    expect(() => decodeQuery(DIG_QUERY.subarray(0, 20))).toThrow(MalformedDnsMessage);
    expect(() => decodeQuery(DIG_QUERY.subarray(0, 27))).toThrow(/question cut short/);
  });

  it("writes an answer byte for byte: header flags, the question, A records pointing at it", () => {
    const query = decodeQuery(DIG_QUERY);
    const answer = encodeAnswer({
      query,
      question: query.questions[0],
      rcode: RCODE.noError,
      authoritative: true,
      addresses: ["10.250.1.5"],
      ttlSeconds: 1,
    });
    expect([...answer]).toEqual([
      ...[0x12, 0x34, 0x85, 0x80, 0, 1, 0, 1, 0, 0, 0, 0],
      ...bytes(7, "example", 3, "com", 0, 0, 1, 0, 1),
      ...[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 10, 250, 1, 5],
    ]);
  });

  it("round-trips questions and answers, several addresses and error codes", () => {
    const query = decodeQuery(encodeQuestion(7, "web.default.alpha.internal.", TYPE_AAAA));
    expect(query.questions).toEqual([
      { name: "web.default.alpha.internal", type: TYPE_AAAA, class: CLASS_IN },
    ]);
    const two = encodeAnswer({
      query,
      question: { name: "web.default.alpha.internal", type: TYPE_A, class: CLASS_IN },
      rcode: RCODE.noError,
      authoritative: true,
      addresses: ["10.0.0.2", "10.0.1.3"],
    });
    expect(decodeAnswers(two)).toEqual({
      id: 7,
      rcode: 0,
      truncated: false,
      addresses: ["10.0.0.2", "10.0.1.3"],
    });
    const refused = encodeAnswer({
      query,
      question: query.questions[0],
      rcode: RCODE.nxDomain,
      authoritative: true,
    });
    expect(decodeAnswers(refused)).toEqual({ id: 7, rcode: RCODE.nxDomain, truncated: false, addresses: [] });
    // a query without a question still gets an answer naming its id (FORMERR)
    const bare = encodeAnswer({ query: { id: 9, flags: 0 }, rcode: RCODE.formErr, authoritative: false });
    expect(decodeAnswers(bare)).toEqual({ id: 9, rcode: RCODE.formErr, truncated: false, addresses: [] });
  });

  it("encodes names as labels and refuses what is no DNS name", () => {
    expect([...encodeName("ab.c")]).toEqual([2, 97, 98, 1, 99, 0]);
    expect([...encodeName("")]).toEqual([0]);
    expect(() => encodeName("a..b")).toThrow(/1-63/);
    expect(() => encodeName("é.internal")).toThrow(/ASCII/);
  });

  it("replaces a message's id on a copy (a forwarded query and its answer)", () => {
    const copy = withId(DIG_QUERY, 0xbeef);
    expect(decodeQuery(copy).id).toBe(0xbeef);
    expect(decodeQuery(DIG_QUERY).id).toBe(0x1234);
  });
});
