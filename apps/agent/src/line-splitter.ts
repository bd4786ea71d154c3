import { StringDecoder } from "node:string_decoder";

/**
 * Splits a byte stream into text lines without ever cutting a character: a UTF-8 sequence split
 * across two chunks is held until it is whole, and a line longer than `maxChars` (UTF-16 units, as
 * the protocol measures lines) is cut into pieces at character boundaries, never inside a
 * surrogate pair. A partial line is held until its newline or `end()`, but never more than
 * `maxChars` of it, so memory stays bounded whatever the output.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder("utf8");
  #pending = "";

  constructor(private readonly maxChars: number) {}

  /** The complete lines (and full-length pieces of longer lines) `chunk` finishes. */
  push(chunk: Buffer): string[] {
    const text = this.#pending + this.#decoder.write(chunk);
    const out: string[] = [];
    let start = 0;
    for (let nl = text.indexOf("\n", start); nl >= 0; nl = text.indexOf("\n", start)) {
      this.#pieces(text.slice(start, nl), out, true);
      start = nl + 1;
    }
    this.#pending = this.#pieces(text.slice(start), out, false);
    return out;
  }

  /** What is left when the stream ends (a last line without a newline), in pieces. */
  end(): string[] {
    const text = this.#pending + this.#decoder.end();
    this.#pending = "";
    const out: string[] = [];
    if (text) this.#pieces(text, out, true);
    return out;
  }

  /** Cuts full pieces of `line` into `out`; returns the remainder, pushed too when `whole`. */
  #pieces(line: string, out: string[], whole: boolean): string {
    let at = 0;
    while (line.length - at > this.maxChars) {
      let cut = at + this.maxChars;
      const code = line.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // a high surrogate stays with its pair
      out.push(line.slice(at, cut));
      at = cut;
    }
    const rest = line.slice(at);
    if (whole) {
      out.push(rest);
      return "";
    }
    return rest;
  }
}
