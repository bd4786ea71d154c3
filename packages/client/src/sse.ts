/** One server-sent event. */
export interface ServerSentEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Parses a `text/event-stream` body into events, per the HTML living standard's rules: fields
 * `event`, `data` (joined with newlines), `id`; comment lines (`:`) and `retry` ignored; an event
 * ends at a blank line; CR, LF and CRLF all end lines. Ends when `signal` aborts: the body is
 * cancelled (which closes the connection) and no event parsed before is yielded after it — fetch's
 * own abort does not stop a body whose reader is held, so an endless stream would go on.
 *
 * @example
 * for await (const event of parseEventStream(response.body)) console.log(event.event, event.data);
 */
export async function* parseEventStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  let sawData = false;
  const reader = body.getReader();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (;;) {
        const end = /\r\n|\r|\n/.exec(buffer);
        // a lone CR at the end of the buffer may be the first half of a CRLF still to come
        if (!end || (end[0] === "\r" && end.index === buffer.length - 1 && !done)) break;
        const line = buffer.slice(0, end.index);
        buffer = buffer.slice(end.index + end[0].length);
        if (line === "") {
          if (signal?.aborted) return;
          if (sawData) yield { event: event || "message", data: data.join("\n"), id };
          event = "";
          data = [];
          sawData = false;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") event = text;
        else if (field === "data") {
          data.push(text);
          sawData = true;
        } else if (field === "id" && !text.includes("\0")) id = text;
      }
      if (done) return;
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
