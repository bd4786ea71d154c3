import { describe, expect, it } from "vitest";
import { type CellSnapshot, createPlacer, InvalidSnapshot, place, type Work } from "./index";

function cell(id: string, overrides: Partial<CellSnapshot> = {}): CellSnapshot {
  return {
    id,
    zone: "z1",
    state: "active",
    capacity: { memoryMb: 4096, diskMb: 16384, containers: 100 },
    used: { memoryMb: 0, diskMb: 0, containers: 0 },
    tags: [],
    stacks: ["busybox"],
    appInstances: {},
    ...overrides,
  };
}

function instances(appId: string, count: number, overrides: Partial<Work> = {}): Work[] {
  return Array.from({ length: count }, (_, index) => ({
    appId,
    index,
    memoryMb: 256,
    diskMb: 1024,
    stack: "busybox",
    ...overrides,
  }));
}

function perCell(result: { placements: { cellId: string }[] }): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of result.placements) counts[p.cellId] = (counts[p.cellId] ?? 0) + 1;
  return counts;
}

describe("spreading", () => {
  it("spreads 4 instances of one app 2/2 over two equal cells", () => {
    const result = place({ cells: [cell("a"), cell("b")] }, instances("web", 4));
    expect(result.unplaced).toEqual([]);
    expect(perCell(result)).toEqual({ a: 2, b: 2 });
  });

  it("puts one instance in each zone before doubling up, even when zones have unequal cell counts", () => {
    const cells = [
      cell("a1", { zone: "za" }),
      cell("a2", { zone: "za" }),
      cell("a3", { zone: "za" }),
      cell("b1", { zone: "zb" }),
      cell("c1", { zone: "zc" }),
    ];
    const result = place({ cells }, instances("web", 3));
    const zones = result.placements.map((p) => cells.find((c) => c.id === p.cellId)?.zone).sort();
    expect(zones).toEqual(["za", "zb", "zc"]);
  });

  it("keeps zones within one instance of each other, doubling up on the one cell of a small zone", () => {
    const cells = [
      cell("a1", { zone: "za" }),
      cell("b1", { zone: "zb" }),
      cell("b2", { zone: "zb" }),
      cell("b3", { zone: "zb" }),
    ];
    expect(perCell(place({ cells }, instances("web", 4)))).toEqual({ a1: 2, b1: 1, b2: 1 });
  });

  it("differs by at most one instance between zones with room (maxSkew 1), whatever the zones' sizes", () => {
    const zoneSizes = { za: 1, zb: 6, zc: 3 };
    const cells = Object.entries(zoneSizes).flatMap(([zone, n]) =>
      Array.from({ length: n }, (_, i) => cell(`${zone}-${i}`, { zone })),
    );
    const existing = { ...cells[4], appInstances: { web: 3, api: 2 } } as CellSnapshot;
    cells[4] = existing;
    const result = place({ cells }, [
      ...instances("web", 40, { diskMb: 64 }),
      ...instances("api", 13, { memoryMb: 64, diskMb: 64 }),
    ]);
    expect(result.unplaced).toEqual([]);
    for (const app of ["web", "api"]) {
      const inZone: Record<string, number> = { za: 0, zb: 0, zc: 0 };
      for (const c of cells) inZone[c.zone] = (inZone[c.zone] ?? 0) + (c.appInstances[app] ?? 0);
      for (const p of result.placements.filter((p) => p.work.appId === app))
        inZone[p.cellId.slice(0, 2)] = (inZone[p.cellId.slice(0, 2)] ?? 0) + 1;
      const counts = Object.values(inZone);
      expect(Math.max(...counts) - Math.min(...counts), app).toBeLessThanOrEqual(1);
    }
  });

  it("fills the other zones evenly once a zone has no room left", () => {
    const cells = [
      cell("a1", { zone: "za", capacity: { memoryMb: 512, diskMb: 16384, containers: 100 } }),
      cell("b1", { zone: "zb" }),
      cell("c1", { zone: "zc" }),
    ];
    const result = place({ cells }, instances("web", 8));
    expect(result.unplaced).toEqual([]);
    expect(perCell(result)).toEqual({ a1: 2, b1: 3, c1: 3 });
  });

  it("gives every cell one instance of an app before any cell gets a second", () => {
    const cells = ["a", "b", "c", "d", "e", "f"].map((id, i) => cell(id, { zone: `z${i % 3}` }));
    const result = place({ cells }, instances("web", 6));
    expect(Object.values(perCell(result))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("avoids cells that already run the app according to the snapshot", () => {
    const cells = [cell("a", { appInstances: { web: 1 } }), cell("b")];
    expect(place({ cells }, instances("web", 1)).placements[0]?.cellId).toBe("b");
  });

  it("prefers the less used cell when nothing else differs", () => {
    const cells = [cell("a", { used: { memoryMb: 2048, diskMb: 8192, containers: 50 } }), cell("b")];
    expect(place({ cells }, instances("web", 1)).placements[0]?.cellId).toBe("b");
  });

  it("accounts for earlier placements in the same batch so a cell is never overcommitted", () => {
    const small = { capacity: { memoryMb: 1024, diskMb: 16384, containers: 100 } };
    const result = place(
      { cells: [cell("a", small), cell("b", small)] },
      instances("web", 5, { memoryMb: 512 }),
    );
    expect(perCell(result)).toEqual({ a: 2, b: 2 });
    expect(result.unplaced).toHaveLength(1);
  });

  it("places every app's first instance before any app's second by default", () => {
    const tiny = { capacity: { memoryMb: 512, diskMb: 16384, containers: 100 } };
    const work = [...instances("api", 2), ...instances("web", 2)];
    const result = place({ cells: [cell("a", tiny)] }, work);
    expect(result.placements.map((p) => `${p.work.appId}/${p.work.index}`)).toEqual(["api/0", "web/0"]);
    const inOrder = place({ cells: [cell("a", tiny)] }, work, { preserveOrder: true });
    expect(inOrder.placements.map((p) => `${p.work.appId}/${p.work.index}`)).toEqual(["api/0", "api/1"]);
  });

  it("returns the caller's own work objects", () => {
    const work = { ...instances("web", 1)[0], instanceId: "i-1" } as Work & { instanceId: string };
    const result = place({ cells: [cell("a")] }, [work]);
    expect(result.placements[0]?.work.instanceId).toBe("i-1");
  });
});

describe("filtering", () => {
  it("never places on draining or lost cells", () => {
    const cells = [cell("a", { state: "draining" }), cell("b", { state: "lost" }), cell("c")];
    const result = place({ cells }, instances("web", 3));
    expect(perCell(result)).toEqual({ c: 3 });
  });

  it("only places on cells with the stack and all required tags", () => {
    const cells = [
      cell("a", { tags: ["gpu"] }),
      cell("b", { tags: ["gpu", "ssd"], stacks: ["node"] }),
      cell("c", { tags: ["gpu", "ssd"] }),
    ];
    const result = place({ cells }, instances("ml", 2, { tags: ["ssd", "gpu"] }));
    expect(perCell(result)).toEqual({ c: 2 });
  });
});

describe("reasons for what cannot be placed", () => {
  const reasonFor = (cells: CellSnapshot[], work: Partial<Work> = {}) =>
    place({ cells }, instances("web", 1, work)).unplaced[0]?.reason;

  it("no active cells, naming the inactive ones", () => {
    expect(reasonFor([])).toBe("no active cells");
    expect(reasonFor([cell("a", { state: "draining" }), cell("b", { state: "lost" })])).toBe(
      "no active cells (1 draining, 1 lost)",
    );
  });

  it("no cell has the stack", () => {
    expect(reasonFor([cell("a")], { stack: "node" })).toBe("no cell has stack node");
    expect(
      reasonFor([cell("a"), cell("b", { state: "draining", stacks: ["node"] })], { stack: "node" }),
    ).toBe("no active cell has stack node");
  });

  it("no cell has the tags", () => {
    expect(reasonFor([cell("a", { tags: ["ssd"] })], { tags: ["gpu", "ssd"] })).toBe("no cell has tags gpu");
    expect(
      reasonFor([cell("a", { tags: ["gpu"] }), cell("b", { tags: ["ssd"] })], { tags: ["gpu", "ssd"] }),
    ).toBe("no cell has all of tags gpu, ssd together");
  });

  it("insufficient memory, with the largest free amount", () => {
    const cells = [
      cell("a", { used: { memoryMb: 3584, diskMb: 0, containers: 1 } }),
      cell("b", { used: { memoryMb: 4000, diskMb: 0, containers: 1 } }),
    ];
    expect(reasonFor(cells, { memoryMb: 1024 })).toBe(
      "insufficient memory: largest free 512 MB, need 1024 MB",
    );
  });

  it("insufficient disk", () => {
    expect(reasonFor([cell("a")], { diskMb: 20000 })).toBe(
      "insufficient disk: largest free 16384 MB, need 20000 MB",
    );
  });

  it("insufficient container slots", () => {
    const full = { used: { memoryMb: 0, diskMb: 0, containers: 100 } };
    expect(reasonFor([cell("a", full), cell("b", full)])).toBe(
      "insufficient container slots: all 2 eligible cells are full",
    );
  });

  it("insufficient resources when each fits somewhere but not together", () => {
    const cells = [
      cell("a", { used: { memoryMb: 4000, diskMb: 0, containers: 0 } }),
      cell("b", { used: { memoryMb: 0, diskMb: 16000, containers: 0 } }),
    ];
    expect(reasonFor(cells, { memoryMb: 1024, diskMb: 1024 })).toBe(
      "insufficient resources: no cell has 1024 MB memory, 1024 MB disk and a container slot free together",
    );
  });

  it("invalid work", () => {
    expect(reasonFor([cell("a")], { memoryMb: 0 })).toBe("invalid work: memoryMb must be a positive number");
    expect(reasonFor([cell("a")], { diskMb: Number.NaN })).toBe(
      "invalid work: diskMb must be a non-negative number",
    );
  });
});

describe("determinism and purity", () => {
  const cells = Array.from({ length: 20 }, (_, i) =>
    cell(`cell-${String(i).padStart(2, "0")}`, {
      zone: `z${i % 3}`,
      capacity: { memoryMb: 2048 * (1 + (i % 4)), diskMb: 16384, containers: 20 },
    }),
  );
  const work = [...instances("a", 7), ...instances("b", 5, { memoryMb: 1024 }), ...instances("c", 9)];

  it("gives the same placements whatever the order of cells in the snapshot", () => {
    const first = place({ cells }, work);
    const shuffled = [...cells].reverse();
    expect(place({ cells: shuffled }, work)).toEqual(first);
    expect(place({ cells }, work)).toEqual(first);
  });

  it("breaks ties by lowest cell id", () => {
    expect(
      place({ cells: [cell("b"), cell("c"), cell("a")] }, instances("web", 1)).placements[0]?.cellId,
    ).toBe("a");
  });

  it("breaks ties by lowest cell id across zones too", () => {
    const cells = [cell("a", { zone: "zz" }), cell("b", { zone: "za" })];
    expect(place({ cells }, instances("web", 1)).placements[0]?.cellId).toBe("a");
  });

  it("does not modify the snapshot", () => {
    const before = JSON.stringify(cells);
    place({ cells }, work);
    expect(JSON.stringify(cells)).toBe(before);
  });

  it("rejects a snapshot with a duplicate cell id", () => {
    expect(() => place({ cells: [cell("a"), cell("a")] }, [])).toThrow(InvalidSnapshot);
  });

  it("a placer keeps its own copy of the snapshot across decisions", () => {
    const placer = createPlacer({ cells: [cell("a"), cell("b")] });
    const [w] = instances("web", 1);
    if (!w) throw new Error("no work");
    expect(
      [placer.place(w), placer.place(w), placer.place(w)].map((d) => (d.ok ? d.cellId : d.reason)),
    ).toEqual(["a", "b", "a"]);
  });
});

describe("volume data", () => {
  it("places every instance mounting a volume on the cell holding its data, against spreading", () => {
    const result = place(
      { cells: [cell("a"), cell("b"), cell("c")] },
      instances("web", 2, { volumeCellId: "b" }),
    );
    expect(result.unplaced).toEqual([]);
    expect(perCell(result)).toEqual({ b: 2 });
  });

  it("says why when the data's cell cannot take the instance, and places nothing elsewhere", () => {
    const cells = [
      cell("a"),
      cell("c1", { state: "draining" }),
      cell("full", { capacity: { memoryMb: 100, diskMb: 16384, containers: 100 } }),
    ];
    const result = place({ cells }, [
      ...instances("web", 1, { volumeCellId: "c1" }),
      ...instances("db", 1, { volumeCellId: "gone" }),
      ...instances("api", 1, { volumeCellId: "full" }),
      ...instances("old", 1, { volumeCellId: "a", stack: "node" }),
    ]);
    expect(result.placements).toEqual([]);
    expect(Object.fromEntries(result.unplaced.map((u) => [u.work.appId, u.reason]))).toEqual({
      web: "volume data on cell c1, which is draining",
      db: "volume data on cell gone, which is unknown",
      api: "volume data on cell full: insufficient memory: largest free 100 MB, need 256 MB",
      old: "volume data on cell a, which lacks the stack or tags",
    });
  });
});
