import { describe, expect, it } from "vitest";
import { exitStatusFrame, FrameSplitter, parseClientFrame, processStartedFrame } from "./frames";
import { hijackedHead } from "./raw-response";
import { decodeChunked, splitBody } from "./request-body";

describe("client frames", () => {
  it("reads the frames the Go client's processStream writes", () => {
    expect(parseClientFrame('{"process_id":"p","source":0,"data":"hi\\n"}')).toEqual({
      kind: "stdin",
      data: "hi\n",
    });
    expect(parseClientFrame('{"process_id":"p","source":0}')).toEqual({ kind: "stdin-eof" });
    expect(parseClientFrame('{"process_id":"p","tty":{"window_size":{"columns":100,"rows":30}}}')).toEqual({
      kind: "resize",
      windowSize: { columns: 100, rows: 30 },
    });
    expect(parseClientFrame('{"process_id":"p","signal":0}')).toEqual({
      kind: "signal",
      signal: "terminate",
    });
    expect(parseClientFrame('{"process_id":"p","signal":1}')).toEqual({ kind: "signal", signal: "kill" });
  });

  it("reports unknown signals, empty payloads and bad JSON as unknown", () => {
    expect(parseClientFrame('{"signal":7}').kind).toBe("unknown");
    expect(parseClientFrame('{"process_id":"p"}').kind).toBe("unknown");
    expect(parseClientFrame("{nope").kind).toBe("unknown");
  });

  it("splits a byte stream into lines across chunk boundaries, including split UTF-8", () => {
    const splitter = new FrameSplitter();
    const bytes = Buffer.from('{"data":"é"}\n{"a":1}\n{"b"');
    expect(splitter.push(bytes.subarray(0, 10))).toEqual([]);
    expect(splitter.push(bytes.subarray(10))).toEqual(['{"data":"é"}', '{"a":1}']);
    expect(splitter.end()).toEqual(['{"b"']);
  });

  it("writes server frames as one JSON value per line", () => {
    expect(processStartedFrame("p", "3")).toBe('{"process_id":"p","stream_id":"3"}\n');
    expect(exitStatusFrame("p", 42)).toBe('{"process_id":"p","exit_status":42}\n');
  });

  it("announces a chunked body on hijacked responses, as Go does after WriteHeader + Hijack", () => {
    expect(hijackedHead(201)).toMatch(/^HTTP\/1\.1 201 Created\r\n/);
    expect(hijackedHead(200)).toContain("Transfer-Encoding: chunked\r\n");
    expect(hijackedHead(200).endsWith("\r\n\r\n")).toBe(true);
  });
});

describe("request bodies before a hijack", () => {
  const head = (headers: Record<string, string>) => ({
    method: "POST",
    path: "/",
    query: new URLSearchParams(),
    headers,
  });

  it("takes Content-Length bytes as the body and leaves early frames behind", () => {
    const result = splitBody(head({ "content-length": "3" }), Buffer.from('{}\n{"signal":1}\n'));
    expect(result?.body.toString()).toBe("{}\n");
    expect(result?.rest.toString()).toBe('{"signal":1}\n');
    expect(splitBody(head({ "content-length": "30" }), Buffer.from("{}"))).toBeNull();
  });

  it("decodes a chunked body and waits for its end", () => {
    const full = Buffer.from("2\r\n{}\r\n1\r\n\n\r\n0\r\n\r\nrest");
    expect(decodeChunked(full)).toEqual({ body: Buffer.from("{}\n"), consumed: full.length - 4 });
    expect(decodeChunked(Buffer.from("2\r\n{}\r\n"))).toBeNull();
    expect(() => decodeChunked(Buffer.from("zz\r\n"))).toThrow(/chunked/);
  });
});
