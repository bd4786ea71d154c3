import { CellHeartbeat } from "@grove/protocol";
import { type DigestedReport, stampedJson } from "./report-digest";

/** Only what changes from one beat of a cell to the next when nothing else does. */
const Stamp = CellHeartbeat.schema.pick({ at: true, seq: true });

/**
 * The head of a heartbeat as agents write it (their fields in the schema's order, no spaces): the
 * version, the cell, then the stamp — a JSON number without leading zeros and a string without
 * escapes, so the text in between is exactly what `JSON.parse` reads there.
 */
const HEAD = /^\{"v":2,"cellId":"([^"\\]{1,64})","seq":(0|[1-9][0-9]{0,15}),"at":"([^"\\]{1,64})",/;

/** The head of a body as `digestReport` serialised it (`{"v":2,"cellId":"…",`). */
const bodyHeadLength = (cellId: string) => `{"v":2,"cellId":${JSON.stringify(cellId)},`.length;

/**
 * Each cell's last valid heartbeat as this replica decoded and digested it, kept as text. A cell
 * beats every 5 s and, while nothing changes on it, says the same each time but when (`at`, `seq`):
 * such a beat's text is compared with the last one's after its stamp, instead of being parsed,
 * validated and digested again — at 1,000 cells of 100 instances that was a third of a steady
 * leader's CPU. Only beats written as the schema serialises them are remembered (agents send what
 * `encode` gives), so equal text after the stamp means the same message but for the stamp; and text,
 * unlike a decoded report's thousands of objects, costs the garbage collector nothing to keep.
 */
export class LastBeats {
  private readonly beats = new Map<
    string,
    { tail: string; report: Omit<DigestedReport, "json">; heardAt: number }
  >();
  #sweptAt: number;

  constructor(
    /** a cell not heard for this long is forgotten (a removed cell beats no more) */
    private readonly forgetAfterMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.#sweptAt = now();
  }

  /**
   * The report of the heartbeat `text`, stamped with its `at` and `seq` (validated), when it is
   * `cellId`'s last remembered one but for those two; otherwise undefined.
   */
  repeat(cellId: string, text: string): DigestedReport | undefined {
    const last = this.beats.get(cellId);
    if (!last) return undefined;
    const head = HEAD.exec(text);
    if (!head || head[1] !== cellId) return undefined;
    if (text.length !== head[0].length + last.tail.length || !text.endsWith(last.tail)) return undefined;
    const stamp = Stamp.safeParse({ at: head[3], seq: Number(head[2]) });
    if (!stamp.success) return undefined;
    const { at, seq } = stamp.data;
    last.heardAt = this.now();
    return { ...last.report, json: stampedJson(at, seq, last.report.bodyJson) };
  }

  /**
   * Remembers `heartbeat` (decoded from `text`) and its report for `cellId`'s next beats, if `text`
   * is the heartbeat as the schema serialises it; else forgets the cell's last one (its next beats
   * are decoded in full). Now and then, cells not heard for `forgetAfterMs` are forgotten.
   */
  remember(cellId: string, text: string, heartbeat: CellHeartbeat, report: DigestedReport): void {
    const { json: _json, ...kept } = report;
    const head = HEAD.exec(text);
    const tail = report.bodyJson.slice(bodyHeadLength(heartbeat.cellId));
    const canonical =
      head !== null &&
      head[1] === heartbeat.cellId &&
      head[2] === String(heartbeat.seq) &&
      head[3] === heartbeat.at &&
      text.length === head[0].length + tail.length &&
      text.endsWith(tail);
    const now = this.now();
    if (canonical) this.beats.set(cellId, { tail, report: kept, heardAt: now });
    else this.beats.delete(cellId);
    if (now - this.#sweptAt < this.forgetAfterMs) return;
    this.#sweptAt = now;
    for (const [id, beat] of this.beats) if (now - beat.heardAt >= this.forgetAfterMs) this.beats.delete(id);
  }

  /** How many cells' beats are remembered. */
  get size(): number {
    return this.beats.size;
  }
}
