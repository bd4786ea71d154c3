import { describe, expect, it } from "vitest";
import { type CellSnapshot, place, type Work } from "./index";

// Speed is measured by `npm run bench -- placement`, not here; this pins the spread at scale.
describe("placement at scale", () => {
  it("places 10,000 instances of 1,000 apps on 1,000 cells with at most one instance of an app per cell", () => {
    const cells: CellSnapshot[] = Array.from({ length: 1000 }, (_, i) => ({
      id: `cell-${String(i).padStart(4, "0")}`,
      zone: `z${i % 3}`,
      state: "active",
      capacity: { memoryMb: 16_384 * (1 + (i % 3)), diskMb: 131_072, containers: 250 },
      used: { memoryMb: 0, diskMb: 0, containers: 0 },
      tags: [],
      stacks: ["busybox"],
      appInstances: {},
    }));
    const work: Work[] = [];
    for (let a = 0; a < 1000; a++) {
      for (let index = 0; index < 10; index++) {
        work.push({ appId: `app-${a}`, index, memoryMb: 256 << (a % 3), diskMb: 1024, stack: "busybox" });
      }
    }
    const result = place({ cells }, work);

    expect(result.unplaced).toEqual([]);
    const perAppCell = new Set(result.placements.map((p) => `${p.work.appId}/${p.cellId}`));
    expect(perAppCell.size).toBe(10_000);
  });
});
