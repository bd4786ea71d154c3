import { describe, expect, it } from "vitest";
import { LineSplitter } from "./line-splitter";

describe("LineSplitter", () => {
  it("keeps a multi-byte character whole when a chunk ends inside it", () => {
    const bytes = Buffer.from("grüß 😀\nnext\n");
    const splitter = new LineSplitter(100);
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i++) lines.push(...splitter.push(bytes.subarray(i, i + 1)));
    expect(lines).toEqual(["grüß 😀", "next"]);
    expect(splitter.end()).toEqual([]);
  });

  it("cuts a line longer than the limit only between characters", () => {
    const splitter = new LineSplitter(5);
    const lines = splitter.push(Buffer.from("abcd😀efgh😀😀\n"));
    expect(lines.join("")).toBe("abcd😀efgh😀😀");
    for (const line of lines) {
      expect(line.length).toBeLessThanOrEqual(5);
      expect(Buffer.from(line).toString()).toBe(line); // no lone surrogate
      expect(line).not.toMatch(/[\ud800-\udbff]$|^[\udc00-\udfff]/);
    }
  });

  it("holds no more than the limit of an unfinished line, and gives the rest at the end", () => {
    const splitter = new LineSplitter(4);
    expect(splitter.push(Buffer.from("abcdefghij"))).toEqual(["abcd", "efgh"]);
    expect(splitter.push(Buffer.from("k\nl"))).toEqual(["ijk"]);
    expect(splitter.end()).toEqual(["l"]);
  });

  it("gives an empty line for each newline", () => {
    expect(new LineSplitter(10).push(Buffer.from("\n\na\n"))).toEqual(["", "", "a"]);
  });
});
