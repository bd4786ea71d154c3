import { describe, expect, it } from "vitest";
import { overlappingRanges, parseSubordinateIds } from "./subordinate-ids";

describe("subordinate ids", () => {
  const ranges = parseSubordinateIds(
    "/etc/subuid",
    "alice:100000:65536\n# comment\nroot:1000000:1000\nbroken line\nbob:5000000000:10\n",
  );

  it("parses owner:first:count lines and skips the rest", () => {
    expect(ranges.map((range) => range.owner)).toEqual(["alice", "root", "bob"]);
    expect(ranges[0]).toEqual({ file: "/etc/subuid", owner: "alice", first: 100000, count: 65536 });
  });

  it("names other users' ranges that share host ids with the mapping, never root's", () => {
    expect(overlappingRanges({ hostId: 100000, size: 4_294_867_295 }, ranges).map((r) => r.owner)).toEqual([
      "alice",
    ]);
    expect(overlappingRanges({ hostId: 165536, size: 1000 }, ranges)).toEqual([]);
    expect(overlappingRanges({ hostId: 1, size: 99_999 }, ranges)).toEqual([]);
  });
});
