/** One `log` event of `GET /v1/apps/{name}/logs`. */
export interface LogEvent {
  id: string;
  data: { line: string; index: number; instance_id: string; seq: number };
}

/** Reads SSE events from a response until `count` arrived (or the stream ended). */
export async function readEvents(
  res: Response,
  count: number,
): Promise<{ events: LogEvent[]; ended: boolean; cancel(): Promise<void> }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: LogEvent[] = [];
  let buffer = "";
  let ended = false;
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    buffer += decoder.decode(value, { stream: true });
    let cut = buffer.indexOf("\n\n");
    while (cut >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const fields = Object.fromEntries(
        block.split("\n").map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
      );
      if (fields.event === "log")
        events.push({ id: fields.id as string, data: JSON.parse(fields.data as string) });
      cut = buffer.indexOf("\n\n");
    }
  }
  return { events, ended, cancel: () => reader.cancel() };
}

/** The lines of a log response that ends (no `follow`), in order. */
export async function readLogLines(res: Response): Promise<string[]> {
  if (res.status !== 200) throw new Error(`logs answered ${res.status}: ${await res.text()}`);
  return (await readEvents(res, Number.POSITIVE_INFINITY)).events.map((e) => e.data.line);
}
