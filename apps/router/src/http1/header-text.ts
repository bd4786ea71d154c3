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

/** Whether `text` has an LF that does not follow a CR. */
export function hasBareLf(text: string): boolean {
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1))
    if (text.charCodeAt(i - 1) !== 13) return true;
  return false;
}

/** Whether `text` has a CR that is not followed by an LF. */
export function hasBareCr(text: string): boolean {
  for (let i = text.indexOf("\r"); i !== -1; i = text.indexOf("\r", i + 1))
    if (text.charCodeAt(i + 1) !== 10) return true;
  return false;
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
  const length = parseContentLength(text, colon + 1, end);
  if (length === -1) return `bad Content-Length '${text.slice(colon + 1, end).trim()}'`;
  if (seen !== -1 && seen !== length) return "conflicting Content-Lengths";
  return length;
}

const MAX_LENGTH_DIGITS = "18446744073709551615";

/**
 * A Content-Length value between `start` and `end` as llhttp reads it: spaces or tabs before the
 * digits, spaces only after, at most 2^64 - 1 (lengths past 2^53 are kept approximately: no
 * connection carries that many bytes); else -1.
 */
export function parseContentLength(text: string, start: number, end: number): number {
  while (start < end && isSpace(text.charCodeAt(start))) start++;
  while (end > start && text.charCodeAt(end - 1) === 32) end--;
  if (start === end) return -1;
  let first = start;
  while (first < end - 1 && text.charCodeAt(first) === 48) first++;
  const digits = end - first;
  if (digits > MAX_LENGTH_DIGITS.length) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  if (digits === MAX_LENGTH_DIGITS.length && text.slice(first, end) > MAX_LENGTH_DIGITS) return -1;
  return value;
}

/** a space or a horizontal tab */
export function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** What the Transfer-Encoding headers of a message say, read as llhttp reads them */
export enum Coding {
  /** no Transfer-Encoding with a value */
  None,
  /** the last coding is chunked */
  Chunked,
  /** the last coding is something else */
  Other,
  /** chunked, then another coding: never valid */
  ChunkedNotLast,
}

/**
 * One Transfer-Encoding header (its value from `start` to `end`) merged into what those before it
 * said. A value of only whitespace counts for nothing; a coding counts as chunked when it is
 * `chunked` (any case) followed by nothing but spaces.
 */
export function mergeTransferEncoding(text: string, start: number, end: number, seen: Coding): Coding {
  let i = start;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (i === end) return seen;
  if (seen === Coding.Chunked || seen === Coding.ChunkedNotLast) return Coding.ChunkedNotLast;
  for (;;) {
    const comma = text.indexOf(",", i);
    const elementEnd = comma === -1 || comma > end ? end : comma;
    const chunked = isChunked(text, i, elementEnd);
    if (elementEnd === end) return chunked ? Coding.Chunked : Coding.Other;
    if (chunked) return Coding.ChunkedNotLast;
    i = elementEnd + 1;
    while (i < end && isSpace(text.charCodeAt(i))) i++;
  }
}

function isChunked(text: string, start: number, end: number): boolean {
  if (end - start < 7 || !nameIs(text, start, start + 7, "chunked")) return false;
  for (let i = start + 7; i < end; i++) if (text.charCodeAt(i) !== 32) return false;
  return true;
}
