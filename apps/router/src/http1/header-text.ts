/**
 * Allocation-free helpers over a latin1 head: names compared in place, case-insensitively, and
 * comma-separated tokens found without splitting.
 */

/**
 * Walks the header lines after the start line (from `from`, each `name: value\r\n`): `visit` gets
 * a line's start, colon and end and says whether to drop it; a line without a colon is reported
 * through `malformed`. Returns the head without the dropped lines.
 */
export function keepHeaderLines(
  text: string,
  from: number,
  visit: (pos: number, colon: number, end: number) => boolean,
  malformed: (reason: string) => Error,
): string {
  let kept = "";
  let keptFrom = 0;
  for (let pos = from; pos < text.length; ) {
    const end = text.indexOf("\r\n", pos);
    const colon = text.indexOf(":", pos);
    if (colon === -1 || colon > end) throw malformed("header line without a colon");
    if (visit(pos, colon, end)) {
      kept += text.slice(keptFrom, pos);
      keptFrom = end + 2;
    }
    pos = end + 2;
  }
  return keptFrom === 0 ? text : kept + text.slice(keptFrom);
}

/** Whether `text` from `start` to `end` equals `lowerName` (given in lower case), ignoring case. */
export function nameIs(text: string, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let i = 0; i < lowerName.length; i++) {
    if ((text.charCodeAt(start + i) | 32) !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether the comma-separated `list` (lower case) holds `token`. */
export function hasToken(list: string, token: string): boolean {
  let from = 0;
  for (;;) {
    const at = list.indexOf(token, from);
    if (at === -1) return false;
    if (isBoundary(list, at - 1, -1) && isBoundary(list, at + token.length, 1)) return true;
    from = at + 1;
  }
}

function isBoundary(list: string, index: number, step: -1 | 1): boolean {
  for (let i = index; i >= 0 && i < list.length; i += step) {
    const c = list.charCodeAt(i);
    if (c === 44) return true;
    if (c !== 32 && c !== 9) return false;
  }
  return true;
}

/**
 * One Content-Length header (its value from `colon` to `end`) merged into the one seen so far (-1:
 * none): the length, or why the head is malformed (repeats must agree).
 */
export function mergeContentLength(text: string, colon: number, end: number, seen: number): number | string {
  const length = parseDecimal(text, colon + 1, end);
  if (length === -1) return `bad Content-Length '${text.slice(colon + 1, end).trim()}'`;
  if (seen !== -1 && seen !== length) return "conflicting Content-Length headers";
  return length;
}

/** A decimal Content-Length of at most 15 digits between `start` and `end` (spaces around allowed), else -1. */
export function parseDecimal(text: string, start: number, end: number): number {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end--;
  if (start === end || end - start > 15) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}
