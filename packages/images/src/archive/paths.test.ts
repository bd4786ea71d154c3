import { describe, expect, it } from "vitest";
import { InvalidArchive } from "./errors";
import { entrySegments, whiteoutOf } from "./paths";

describe("entrySegments", () => {
  it("normalises ./ prefixes, empty and . segments", () => {
    expect(entrySegments("./a//b/./c/")).toEqual(["a", "b", "c"]);
    expect(entrySegments("./")).toEqual([]);
  });

  it("takes a name of exactly / as the destination itself, as Docker does a layer's root entry", () => {
    expect(entrySegments("/")).toEqual([]);
    expect(entrySegments("/./")).toEqual([]);
  });

  it("refuses absolute names and any '..' segment", () => {
    expect(() => entrySegments("/etc/passwd")).toThrow(InvalidArchive);
    expect(() => entrySegments("a/../../b")).toThrow(InvalidArchive);
    expect(() => entrySegments("a/../b")).toThrow(/'\.\.'/);
  });
});

describe("whiteoutOf", () => {
  it("recognises deletions, opaque markers and aufs bookkeeping", () => {
    expect(whiteoutOf(".wh.file")).toEqual({ kind: "delete", name: "file" });
    expect(whiteoutOf(".wh..wh..opq")).toEqual({ kind: "opaque" });
    expect(whiteoutOf(".wh..wh.plnk")).toEqual({ kind: "meta" });
    expect(whiteoutOf("file.wh.")).toBeUndefined();
  });
});
