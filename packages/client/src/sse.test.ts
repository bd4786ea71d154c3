import { describe, expect, it } from "vitest";
import { parseEventStream, type ServerSentEvent } from "./sse";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseEventStream(streamOf(chunks))) events.push(event);
  return events;
}

describe("parseEventStream", () => {
  it("yields one event per blank-line-terminated block, with its type, data and id", async () => {
    expect(await collect(['event: log\nid: 7\ndata: {"a":1}\n\n', "data: plain\n\n"])).toEqual([
      { event: "log", data: '{"a":1}', id: "7" },
      { event: "message", data: "plain", id: "7" },
    ]);
  });

  it("joins multi-line data and reassembles lines split across chunks and CRLF pairs", async () => {
    expect(await collect(["da", "ta: one\r", "\ndata: two\r\n\r\n"])).toEqual([
      { event: "message", data: "one\ntwo", id: undefined },
    ]);
  });

  it("ignores comments, retry fields and an unterminated last block", async () => {
    expect(await collect([": keep-alive\n\nretry: 10\ndata: x\n\ndata: cut"])).toEqual([
      { event: "message", data: "x", id: undefined },
    ]);
  });

  it("ends, cancelling the body, when its signal aborts while the stream goes on and on", async () => {
    const encoder = new TextEncoder();
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encoder.encode("data: more\n\ndata: and more\n\n"));
      },
      cancel() {
        cancelled = true;
      },
    });
    const stop = new AbortController();
    let seen = 0;
    for await (const _event of parseEventStream(endless, stop.signal)) {
      seen += 1;
      if (seen === 5) stop.abort();
      expect(seen).toBeLessThanOrEqual(5);
    }
    expect(seen).toBe(5);
    expect(cancelled).toBe(true);
  });
});
