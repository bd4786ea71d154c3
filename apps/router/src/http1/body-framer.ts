/** A chunked body that does not follow RFC 9112 §7.1: the connection carrying it is closed. */
export class MalformedChunk extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MalformedChunk";
  }
}

enum Chunk {
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  Trailer,
  EndLf,
}

const CR = 13;
const LF = 10;
/** 13 hex digits: chunks up to 2^52 bytes, so sizes stay exact in a double */
const MAX_SIZE_DIGITS = 13;

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

  private constructor(
    readonly kind: "length" | "chunked" | "close",
    length: number,
  ) {
    this.remaining = length;
  }

  static length(bytes: number): BodyFramer {
    return new BodyFramer("length", bytes);
  }

  static chunked(): BodyFramer {
    return new BodyFramer("chunked", 0);
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

  private scanChunks(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      const c = buf[i] as number;
      switch (this.state) {
        case Chunk.Size: {
          const digit = hexValue(c);
          if (digit !== -1) {
            if (++this.digits > MAX_SIZE_DIGITS) throw new MalformedChunk("chunk size too large");
            this.remaining = this.remaining * 16 + digit;
          } else if (this.digits === 0) throw new MalformedChunk("chunk size expected");
          else if (c === CR) this.state = Chunk.SizeLf;
          else if (c === 59 /* ; */ || c === 32 || c === 9) this.state = Chunk.Extension;
          else throw new MalformedChunk("bad chunk size line");
          i++;
          break;
        }
        case Chunk.Extension:
          if (c === CR) this.state = Chunk.SizeLf;
          else if (c === LF) throw new MalformedChunk("bare LF in chunk extension");
          i++;
          break;
        case Chunk.SizeLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after chunk size");
          this.state = this.remaining === 0 ? Chunk.TrailerStart : Chunk.Data;
          this.digits = 0;
          i++;
          break;
        case Chunk.Data: {
          const step = Math.min(this.remaining, end - i);
          this.remaining -= step;
          i += step;
          if (this.remaining === 0) this.state = Chunk.DataCr;
          break;
        }
        case Chunk.DataCr:
          if (c !== CR) throw new MalformedChunk("CRLF expected after chunk data");
          this.state = Chunk.DataLf;
          i++;
          break;
        case Chunk.DataLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after chunk data");
          this.state = Chunk.Size;
          i++;
          break;
        case Chunk.TrailerStart:
          this.state = c === CR ? Chunk.EndLf : Chunk.Trailer;
          i++;
          break;
        case Chunk.Trailer:
          if (c === LF) this.state = Chunk.TrailerStart;
          i++;
          break;
        case Chunk.EndLf:
          if (c !== LF) throw new MalformedChunk("CRLF expected after the last chunk");
          return i + 1;
      }
    }
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}
