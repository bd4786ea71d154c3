import { InvalidSnapshot } from "./errors";
import type { CellSnapshot, ClusterSnapshot } from "./types";

/**
 * The active cells in columns of typed arrays, grouped by zone (zones in name order, cells in id
 * order within a zone). Placement scans these columns once per decision, so they hold exactly what
 * the scan reads and nothing is allocated per decision. Grouping by zone lets a decision skip whole
 * zones whose spreading penalty alone is worse than the best score found; `idRank` keeps the
 * tie-break (lowest cell id) independent of that grouping.
 */
export interface CellTable {
  readonly count: number;
  readonly cells: readonly CellSnapshot[];
  readonly ids: readonly string[];
  readonly idRank: Uint32Array;
  readonly zoneOf: Uint16Array;
  readonly zoneCount: number;
  /** Cells of zone z are the indexes zoneStart[z] .. zoneStart[z + 1] - 1. */
  readonly zoneStart: Uint32Array;
  readonly freeMemory: Float64Array;
  readonly freeDisk: Float64Array;
  readonly freeContainers: Float64Array;
  /** 1 / (3 × capacity): turns amounts straight into a third of a fraction of the cell. */
  readonly memoryWeight: Float64Array;
  readonly diskWeight: Float64Array;
  readonly containerWeight: Float64Array;
  /** Balance score of the cell after adding one container and no memory or disk. */
  readonly baseScore: Float64Array;
  readonly inactive: { draining: number; lost: number; withStack: Set<string> };
}

const byId = (a: CellSnapshot, b: CellSnapshot) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const byZoneThenId = (a: CellSnapshot, b: CellSnapshot) =>
  a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : byId(a, b);
const third = (capacity: number) => (capacity > 0 ? 1 / (3 * capacity) : 0);

export function buildCellTable(snapshot: ClusterSnapshot): CellTable {
  const seen = new Set<string>();
  const active: CellSnapshot[] = [];
  const inactive = { draining: 0, lost: 0, withStack: new Set<string>() };
  for (const cell of snapshot.cells) {
    if (seen.has(cell.id)) throw new InvalidSnapshot(`cell ${cell.id} appears twice in the snapshot`);
    seen.add(cell.id);
    if (cell.state === "active") active.push(cell);
    else {
      inactive[cell.state] += 1;
      for (const stack of cell.stacks) inactive.withStack.add(stack);
    }
  }
  active.sort(byZoneThenId);

  const n = active.length;
  const idRank = new Uint32Array(n);
  [...active.keys()]
    .sort((a, b) => byId(active[a] as CellSnapshot, active[b] as CellSnapshot))
    .forEach((cell, rank) => {
      idRank[cell] = rank;
    });

  const zoneOf = new Uint16Array(n);
  const starts: number[] = [];
  const table = {
    freeMemory: new Float64Array(n),
    freeDisk: new Float64Array(n),
    freeContainers: new Float64Array(n),
    memoryWeight: new Float64Array(n),
    diskWeight: new Float64Array(n),
    containerWeight: new Float64Array(n),
    baseScore: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const cell = active[i] as CellSnapshot;
    if (i === 0 || cell.zone !== active[i - 1]?.zone) starts.push(i);
    zoneOf[i] = starts.length - 1;
    table.freeMemory[i] = cell.capacity.memoryMb - cell.used.memoryMb;
    table.freeDisk[i] = cell.capacity.diskMb - cell.used.diskMb;
    table.freeContainers[i] = cell.capacity.containers - cell.used.containers;
    const memoryWeight = third(cell.capacity.memoryMb);
    const diskWeight = third(cell.capacity.diskMb);
    const containerWeight = third(cell.capacity.containers);
    table.memoryWeight[i] = memoryWeight;
    table.diskWeight[i] = diskWeight;
    table.containerWeight[i] = containerWeight;
    table.baseScore[i] =
      cell.used.memoryMb * memoryWeight +
      cell.used.diskMb * diskWeight +
      (cell.used.containers + 1) * containerWeight;
  }
  starts.push(n);
  return {
    ...table,
    count: n,
    cells: active,
    ids: active.map((c) => c.id),
    idRank,
    zoneOf,
    zoneCount: starts.length - 1,
    zoneStart: Uint32Array.from(starts),
    inactive,
  };
}
