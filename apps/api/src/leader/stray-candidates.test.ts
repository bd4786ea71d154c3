import { describe, expect, it } from "vitest";
import type { CellReport } from "./cell-reports";
import { StrayCandidates } from "./stray-candidates";

const report = (...instances: string[]): CellReport => ({ instances, volumes: [], maxStartBatch: null });

describe("StrayCandidates", () => {
  it("checks every pair first, then only changed reports, moved instances and the suspects still reported", () => {
    const candidates = new StrayCandidates();
    const expected = new Map([
      ["i1", "a"],
      ["i2", "a"],
      ["i3", "b"],
    ]);
    const cellOf = (id: string) => expected.get(id);
    const a = report("i1", "i2", "x1");
    const b = report("i3");
    let reported = new Map([
      ["a", a],
      ["b", b],
    ]);
    // first: every pair (x1 is unknown to the view)
    expect(candidates.unexplained(reported, new Set(), cellOf)).toEqual([{ cellId: "a", instanceId: "x1" }]);
    // the same reports, nothing moved: only the suspect is checked again (i3 moved in the view
    // without it being said is not looked at: nothing a steady round need check)
    expected.set("i3", "a");
    expect(candidates.unexplained(reported, new Set(), cellOf)).toEqual([{ cellId: "a", instanceId: "x1" }]);
    // moved: its reporter is checked
    expected.delete("i2");
    expect(candidates.unexplained(reported, new Set(["i2"]), cellOf)).toEqual([
      { cellId: "a", instanceId: "i2" },
      { cellId: "a", instanceId: "x1" },
    ]);
    // a's report changed: every pair of it is checked; x1 and i2 gone from it are suspects no more
    expected.set("i3", "b");
    reported = new Map([
      ["a", report("i1", "y1")],
      ["b", b],
    ]);
    expect(candidates.unexplained(reported, new Set(), cellOf)).toEqual([{ cellId: "a", instanceId: "y1" }]);
    // a cell no longer reported (lost): its pairs are gone, suspects too
    expected.set("y1", "b");
    expect(candidates.unexplained(new Map([["b", b]]), new Set(["y1"]), cellOf)).toEqual([]);
    expect(candidates.reportersOf("i1")).toEqual([]);
    expect(candidates.reportersOf("i3")).toEqual(["b"]);
    // "all": every pair (the view was read whole)
    expected.delete("i3");
    expect(candidates.unexplained(new Map([["b", b]]), "all", cellOf)).toEqual([
      { cellId: "b", instanceId: "i3" },
    ]);
  });

  it("knows every cell reporting an instance: both are checked when it moves", () => {
    const candidates = new StrayCandidates();
    const expected = new Map([["i1", "a"]]);
    const cellOf = (id: string) => expected.get(id);
    const reported = new Map([
      ["a", report("i1")],
      ["b", report("i1")],
    ]);
    expect(candidates.unexplained(reported, new Set(), cellOf)).toEqual([{ cellId: "b", instanceId: "i1" }]);
    expect(candidates.reportersOf("i1")).toEqual(["a", "b"]);
    expected.delete("i1");
    expect(candidates.unexplained(reported, new Set(["i1"]), cellOf)).toEqual([
      { cellId: "a", instanceId: "i1" },
      { cellId: "b", instanceId: "i1" },
    ]);
    // b's report no longer names it: only a does
    const changed = new Map([
      ["a", reported.get("a") as CellReport],
      ["b", report()],
    ]);
    expect(candidates.unexplained(changed, new Set(), cellOf)).toEqual([{ cellId: "a", instanceId: "i1" }]);
    expect(candidates.reportersOf("i1")).toEqual(["a"]);
  });
});
