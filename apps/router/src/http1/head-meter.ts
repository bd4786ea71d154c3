import { maxHeaderSize } from "node:http";

/**
 * Node's header limit (`--max-http-header-size`, 16 KiB by default): llhttp, as Node drives it,
 * refuses a head once the bytes it counts reach it.
 */
export const NODE_MAX_HEADER_BYTES = maxHeaderSize;

enum At {
  /** CR and LF before the request line */
  Lead,
  Method,
  BeforeTarget,
  Target,
  /** the rest of the request line */
  Version,
  LineStart,
  Name,
  /** spaces and tabs after the colon */
  ValueLead,
  Value,
  /** the LF ending a header line */
  LineEnd,
  /** past the blank line that ends the head */
  Done,
}

/**
 * Counts a request head's bytes as Node counts them against its header limit: the request target,
 * each header name, and each value from its first character other than a space or tab to the end
 * of its line (trailing spaces count). The method, the version, separators, leading whitespace of
 * values and line breaks do not. Fed the head's bytes as they arrive (a head may be unfinished),
 * so each byte is looked at once. Exact for well-formed heads; a malformed one is refused anyway.
 *
 * @example
 * const meter = new HeadMeter();
 * meter.measure(Buffer.from("GET /ab HTTP/1.1\r\nHost:  x\r\n"), 0, 27); // 3 + 4 + 1 = 8
 */
export class HeadMeter {
  private at = At.Lead;
  /** the index in the current buffer up to which bytes were counted; -1: none yet */
  private scanned = -1;
  counted = 0;

  /** Forgets the head measured so far (the next head starts, or the buffer was replaced). */
  reset(): void {
    this.at = At.Lead;
    this.scanned = -1;
    this.counted = 0;
  }

  /**
   * The counted bytes of the head that starts at `start` in `bytes`, up to `end`. Later calls must
   * pass the same head, possibly grown at the end (bytes already counted are not looked at again).
   */
  measure(bytes: Uint8Array, start: number, end: number): number {
    let i = this.scanned === -1 ? start : this.scanned;
    let at = this.at;
    let counted = this.counted;
    for (; i < end && at !== At.Done; i++) {
      const c = bytes[i] as number;
      switch (at) {
        case At.Lead:
          if (c !== 13 && c !== 10) at = At.Method;
          break;
        case At.Method:
          if (c === 32) at = At.BeforeTarget;
          break;
        case At.BeforeTarget:
          if (c !== 32) {
            at = At.Target;
            counted++;
          }
          break;
        case At.Target:
          if (c === 32 || c === 13) at = At.Version;
          else counted++;
          break;
        case At.Version:
          if (c === 10) at = At.LineStart;
          break;
        case At.LineStart:
          if (c === 13) at = At.Done;
          else {
            at = At.Name;
            counted++;
          }
          break;
        case At.Name:
          if (c === 58 /* : */) at = At.ValueLead;
          else if (c === 10) at = At.LineStart;
          else counted++;
          break;
        case At.ValueLead:
          if (c === 13) at = At.LineEnd;
          else if (c !== 32 && c !== 9) {
            at = At.Value;
            counted++;
          }
          break;
        case At.Value:
          if (c === 13) at = At.LineEnd;
          else counted++;
          break;
        case At.LineEnd:
          at = At.LineStart;
          break;
      }
    }
    this.at = at;
    this.scanned = end;
    this.counted = counted;
    return counted;
  }
}
