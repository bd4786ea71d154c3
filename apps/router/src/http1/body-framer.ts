/** A chunked body that does not follow RFC 9112 §7.1: the connection carrying it is closed. */
export class MalformedChunk extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedChunk";
  }
}

enum Chunk {
  Size,
  MoreSize,
  ExtensionStart,
  ExtensionName,
  ExtensionValueStart,
  ExtensionValue,
  Quoted,
  QuotedEscape,
  AfterQuoted,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  TrailerValueLead,
  TrailerValue,
  TrailerLf,
  EndLf,
}

const CR = 13;
const LF = 10;
/** 16 hex digits (leading zeros aside): sizes up to 2^64 - 1, as llhttp takes them */
const MAX_SIZE_DIGITS = 16;
/** Node's cap on the extension bytes of one chunk: names and values, separators not counted */
const MAX_EXTENSION_BYTES = 16 * 1024;

/** RFC 9110 token characters */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TOKEN[c.charCodeAt(0)] = 1;
/** field-value characters: HTAB, visible ASCII and space, obs-text */
const FIELD_VALUE = new Uint8Array(256).fill(1, 0x20, 0x7f).fill(1, 0x80);
FIELD_VALUE[9] = 1;
/** characters of a quoted-string other than DQUOTE and backslash */
const QUOTED = FIELD_VALUE.slice();
QUOTED[34] = 0;
QUOTED[92] = 0;

import { NODE_MAX_HEADER_BYTES } from "./head-meter";

/** Receives the data of each chunk (its framing left out), as slices of the buffer passed to take(). */
export type ChunkData = (buf: Uint8Array, start: number, end: number) => void;

/**
 * Finds where a message body ends without copying or decoding it, so its bytes pass through as
 * they are. `take` is fed consecutive slices of the stream and returns the index just past the
 * body's last byte, or -1 when the whole slice is body and more is to come.
 *
 * @example
 * const framer = BodyFramer.length(5);
 * framer.take(Buffer.from("hel"), 0, 3); // -1
 * framer.take(Buffer.from("loGET"), 0, 5); // 2
 */
export class BodyFramer {
  private remaining: number;
  private state = Chunk.Size;
  private digits = 0;
  private extensionBytes = 0;
  /** trailer bytes as Node counts them against its header limit: names and values */
  private trailerBytes = 0;

  private constructor(
    readonly kind: "length" | "chunked" | "close",
    length: number,
    private readonly maxTrailerBytes = NODE_MAX_HEADER_BYTES,
    private readonly onData: ChunkData | undefined = undefined,
  ) {
    this.remaining = length;
  }

  static length(bytes: number): BodyFramer {
    return new BodyFramer("length", bytes);
  }

  /**
   * A chunked body whose trailer section is refused once its names and values reach
   * `maxTrailerBytes` (as Node refuses it); `onData`, when given, gets the chunks' data.
   */
  static chunked(maxTrailerBytes = NODE_MAX_HEADER_BYTES, onData?: ChunkData): BodyFramer {
    return new BodyFramer("chunked", 0, maxTrailerBytes, onData);
  }

  /** a body that ends when the connection does */
  static untilClose(): BodyFramer {
    return new BodyFramer("close", 0);
  }

  take(buf: Uint8Array, start: number, end: number): number {
    if (this.kind === "length") {
      if (end - start < this.remaining) {
        this.remaining -= end - start;
        return -1;
      }
      const stop = start + this.remaining;
      this.remaining = 0;
      return stop;
    }
    if (this.kind === "close") return -1;
    return this.scanChunks(buf, start, end);
  }

  /**
   * Chunk framing as llhttp reads it (RFC 9112 §7.1): chunk extensions are tokens or quoted strings,
   * trailer fields are header lines, and every line ends in CRLF.
   */
  private scanChunks(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const c = buf[i] as number;
      switch (this.state) {
        case Chunk.Size:
        case Chunk.MoreSize: {
          const digit = hexValue(c);
          if (digit !== -1) {
            if ((this.remaining !== 0 || digit !== 0) && ++this.digits > MAX_SIZE_DIGITS)
              throw new MalformedChunk("chunk size too large");
            this.remaining = this.remaining * 16 + digit;
            this.state = Chunk.MoreSize;
          } else if (this.state === Chunk.Size) throw new MalformedChunk("chunk size expected");
          else if (c === CR) this.state = Chunk.SizeLf;
          else if (c === 59 /* ; */) this.state = Chunk.ExtensionStart;
          else throw new MalformedChunk("bad chunk size line");
          break;
        }
        case Chunk.ExtensionStart:
        case Chunk.ExtensionName:
        case Chunk.ExtensionValueStart:
        case Chunk.ExtensionValue:
        case Chunk.Quoted:
        case Chunk.QuotedEscape:
        case Chunk.AfterQuoted:
          if (countsAsExtension(this.state, c) && ++this.extensionBytes > MAX_EXTENSION_BYTES)
            throw new MalformedChunk("chunk extensions too long");
          this.state = nextInExtension(this.state, c);
          break;
        case Chunk.SizeLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after chunk size");
          this.state = this.remaining === 0 ? Chunk.TrailerStart : Chunk.Data;
          this.digits = 0;
          this.extensionBytes = 0;
          break;
        case Chunk.Data: {
          const step = Math.min(this.remaining, end - i);
          if (this.onData !== undefined) this.onData(buf, i, i + step);
          this.remaining -= step;
          i += step;
          if (this.remaining === 0) this.state = Chunk.DataCr;
          continue;
        }
        case Chunk.DataCr:
          if (c !== CR) throw new MalformedChunk("CRLF expected after chunk data");
          this.state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after chunk data");
          this.state = Chunk.Size;
          break;
        case Chunk.TrailerStart:
          if (c === CR) this.state = Chunk.EndLf;
          else if (TOKEN[c] === 1) {
            this.state = Chunk.TrailerName;
            this.countTrailer();
          } else throw new MalformedChunk("bad trailer field");
          break;
        case Chunk.TrailerName:
          if (c === 58 /* : */) this.state = Chunk.TrailerValueLead;
          else if (TOKEN[c] !== 1) throw new MalformedChunk("bad trailer field name");
          else this.countTrailer();
          break;
        case Chunk.TrailerValueLead:
        case Chunk.TrailerValue:
          if (c === CR) this.state = Chunk.TrailerLf;
          else if (FIELD_VALUE[c] !== 1) throw new MalformedChunk("bad trailer field value");
          else if (this.state === Chunk.TrailerValue || (c !== 32 && c !== 9)) {
            this.state = Chunk.TrailerValue;
            this.countTrailer();
          }
          break;
        case Chunk.TrailerLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after a trailer field");
          this.state = Chunk.TrailerStart;
          break;
        case Chunk.EndLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after the last chunk");
          return i + 1;
      }
      i++;
    }
    return -1;
  }

  private countTrailer(): void {
    if (++this.trailerBytes >= this.maxTrailerBytes) throw new MalformedChunk("trailer section too large");
  }
}

function countsAsExtension(state: Chunk, c: number): boolean {
  if (state === Chunk.Quoted || state === Chunk.QuotedEscape) return true;
  return c !== 59 && c !== 61 && c !== CR;
}

/** The state after `c` in a chunk extension: `;name=value` or `;name="quoted"`, repeated. */
function nextInExtension(state: Chunk, c: number): Chunk {
  switch (state) {
    case Chunk.Quoted:
      if (c === 34) return Chunk.AfterQuoted;
      if (c === 92) return Chunk.QuotedEscape;
      if (QUOTED[c] === 1) return Chunk.Quoted;
      break;
    case Chunk.QuotedEscape:
      if (FIELD_VALUE[c] === 1) return Chunk.Quoted;
      break;
    case Chunk.AfterQuoted:
      if (c === 59) return Chunk.ExtensionStart;
      if (c === CR) return Chunk.SizeLf;
      break;
    default:
      if (c === 59) return Chunk.ExtensionStart;
      if (c === CR && state !== Chunk.ExtensionStart) return Chunk.SizeLf;
      if (c === 61 /* = */ && (state === Chunk.ExtensionStart || state === Chunk.ExtensionName))
        return Chunk.ExtensionValueStart;
      if (c === 34 && (state === Chunk.ExtensionValueStart || state === Chunk.ExtensionValue))
        return Chunk.Quoted;
      if (TOKEN[c] === 1)
        return state === Chunk.ExtensionStart || state === Chunk.ExtensionName
          ? Chunk.ExtensionName
          : Chunk.ExtensionValue;
  }
  throw new MalformedChunk("bad chunk extension");
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}
