import { AppSpreads } from "./app-spread";
import { buildCellTable, type CellTable } from "./cell-table";
import { EligibilityCache } from "./eligibility";
import { invalidWorkReason, unplacedReason } from "./reasons";
import { type CellState, type ClusterSnapshot, DEFAULT_WEIGHTS, type Weights, type Work } from "./types";

/** The outcome of one placement decision. */
export type Decision = { ok: true; cellId: string } | { ok: false; reason: string };

/**
 * Places work one item at a time against a private copy of a snapshot, updating that copy after each
 * placement so later decisions see earlier ones. Never modifies the snapshot it was given.
 */
export interface Placer {
  place(work: Work): Decision;
}

/**
 * Builds a placer: O(cells + instances) once, then each decision is at most one scan over the
 * active cells' columns, with no allocation proportional to the number of cells.
 *
 * @example
 * const placer = createPlacer(snapshot);
 * const d = placer.place({ appId: "web", index: 0, memoryMb: 256, diskMb: 1024, stack: "busybox" });
 */
export function createPlacer(snapshot: ClusterSnapshot, weights: Weights = DEFAULT_WEIGHTS): Placer {
  const table = buildCellTable(snapshot);
  const scan: ScanState = {
    table,
    cellStates: new Map(snapshot.cells.map((cell) => [cell.id, cell.state])),
    weights,
    eligibility: new EligibilityCache(table),
    spreads: new AppSpreads(table),
    zoneOrder: new Uint16Array(table.zoneCount),
  };
  return { place: (work) => decide(scan, work) };
}

interface ScanState {
  table: CellTable;
  cellStates: ReadonlyMap<string, CellState>;
  weights: Weights;
  eligibility: EligibilityCache;
  spreads: AppSpreads;
  zoneOrder: Uint16Array;
}

function decide(state: ScanState, work: Work): Decision {
  const invalid = invalidWorkReason(work);
  if (invalid !== undefined) return { ok: false, reason: invalid };
  const { table, spreads } = state;
  const stackAndTags = state.eligibility.mask(work.stack, work.tags ?? []);
  const pinned =
    work.volumeCellId === undefined ? undefined : pinToVolumeCell(state, stackAndTags, work.volumeCellId);
  if (typeof pinned === "string") return { ok: false, reason: pinned };
  const eligible = pinned ?? stackAndTags;
  const spread = spreads.of(work.appId);
  orderZones(state, spread.inZone);
  spreads.load(spread);
  const best = bestCell(state, spread.inZone, eligible, work.memoryMb, work.diskMb);
  spreads.clear(spread);
  if (best < 0) {
    const reason = unplacedReason(table, eligible, work);
    return {
      ok: false,
      reason:
        work.volumeCellId === undefined ? reason : `volume data on cell ${work.volumeCellId}: ${reason}`,
    };
  }

  add(table.freeMemory, best, -work.memoryMb);
  add(table.freeDisk, best, -work.diskMb);
  add(table.freeContainers, best, -1);
  add(
    table.baseScore,
    best,
    work.memoryMb * (table.memoryWeight[best] as number) +
      work.diskMb * (table.diskWeight[best] as number) +
      (table.containerWeight[best] as number),
  );
  spreads.record(work.appId, best);
  return { ok: true, cellId: table.ids[best] as string };
}

/**
 * The eligibility mask narrowed to the cell holding the work's volume, or why that cell cannot
 * take anything (not active, or lacking the stack or tags).
 */
function pinToVolumeCell(state: ScanState, eligible: Uint8Array, cellId: string): Uint8Array | string {
  const index = state.table.ids.indexOf(cellId);
  if (index < 0) {
    const cellState = state.cellStates.get(cellId);
    return cellState === undefined
      ? `volume data on cell ${cellId}, which is unknown`
      : `volume data on cell ${cellId}, which is ${cellState}`;
  }
  if (eligible[index] === 0) return `volume data on cell ${cellId}, which lacks the stack or tags`;
  const only = new Uint8Array(eligible.length);
  only[index] = 1;
  return only;
}

/** Orders zones by how many instances of this app they hold, fewest first (ties in zone order). */
function orderZones(state: ScanState, inZone: Uint32Array): void {
  const { zoneOrder } = state;
  for (let z = 0; z < zoneOrder.length; z++) {
    // insertion sort: there are only a handful of zones
    let j = z;
    while (j > 0 && (inZone[zoneOrder[j - 1] as number] as number) > (inZone[z] as number)) {
      zoneOrder[j] = zoneOrder[j - 1] as number;
      j--;
    }
    zoneOrder[j] = z;
  }
}

/**
 * Zones are spread first, as Kubernetes' topology spread with maxSkew 1: the work goes to a zone
 * holding the fewest instances of its app among the zones with a cell that can take it, so an app's
 * zones differ by at most one wherever there is room. Within those zones, Diego's auction score
 * decides, lowest wins: mean fraction of memory, disk and containers used after placing, plus a
 * penalty per instance of the app already on the cell. Ties go to the lowest cell id.
 */
function bestCell(
  state: ScanState,
  inZone: Uint32Array,
  eligible: Uint8Array,
  memoryMb: number,
  diskMb: number,
): number {
  const { table, zoneOrder, spreads } = state;
  const { freeMemory, freeDisk, freeContainers, baseScore, memoryWeight, diskWeight, idRank, zoneStart } =
    table;
  const onCell = spreads.scratch;
  const cellPenalty = state.weights.sameAppOnCell;
  let best = -1;
  let bestScore = Number.POSITIVE_INFINITY;
  for (let k = 0; k < zoneOrder.length; k++) {
    const zone = zoneOrder[k] as number;
    // a zone holding more than the one found is never used while that one has room
    if (best >= 0 && (inZone[zone] as number) > (inZone[table.zoneOf[best] as number] as number)) break;
    const end = zoneStart[zone + 1] as number;
    for (let i = zoneStart[zone] as number; i < end; i++) {
      if (eligible[i] === 0) continue;
      if ((freeMemory[i] as number) < memoryMb || (freeDisk[i] as number) < diskMb) continue;
      if ((freeContainers[i] as number) < 1) continue;
      const score =
        (baseScore[i] as number) +
        memoryMb * (memoryWeight[i] as number) +
        diskMb * (diskWeight[i] as number) +
        cellPenalty * (onCell[i] as number);
      if (score < bestScore || (score === bestScore && (idRank[i] as number) < (idRank[best] as number))) {
        bestScore = score;
        best = i;
      }
    }
  }
  return best;
}

function add(column: Float64Array, i: number, amount: number): void {
  column[i] = (column[i] as number) + amount;
}
