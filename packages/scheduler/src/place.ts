import { createPlacer } from "./placer";
import {
  type ClusterSnapshot,
  DEFAULT_WEIGHTS,
  type PlacementResult,
  type Weights,
  type Work,
} from "./types";

export interface PlaceOptions {
  weights?: Weights;
  /**
   * Place in the given order instead of the default: every app's lowest indexes first (so each app
   * gets its first instances before any app gets its tenth), larger memory first within an index
   * (big items fit better early), then app id and index.
   */
  preserveOrder?: boolean;
}

/** The default placement order (see `PlaceOptions.preserveOrder`), for callers that place item by item. */
export function placementOrder(a: Work, b: Work): number {
  if (a.index !== b.index) return a.index - b.index;
  if (a.memoryMb !== b.memoryMb) return b.memoryMb - a.memoryMb;
  return a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0;
}

/**
 * Decides where each instance goes. Pure: reads the snapshot, returns placements and, for what
 * cannot be placed, a reason for people. The same input always gives the same output.
 *
 * Filter: active cells with the stack, all required tags, and free memory, disk and a container
 * slot. Zones: only the zones holding the fewest instances of the app among those with such a cell
 * (Kubernetes' topology spread, maxSkew 1). Score (lower wins, Diego's auction): balance of used
 * resources after placing + a large penalty per instance of the same app on the cell.
 *
 * @example
 * const { placements, unplaced } = place({ cells }, [
 *   { appId: "web", index: 0, memoryMb: 256, diskMb: 1024, stack: "busybox" },
 * ]);
 */
export function place<W extends Work>(
  snapshot: ClusterSnapshot,
  work: readonly W[],
  options: PlaceOptions = {},
): PlacementResult<W> {
  const placer = createPlacer(snapshot, options.weights ?? DEFAULT_WEIGHTS);
  const ordered = options.preserveOrder ? work : [...work].sort(placementOrder);
  const result: PlacementResult<W> = { placements: [], unplaced: [] };
  for (const item of ordered) {
    const decision = placer.place(item);
    if (decision.ok) result.placements.push({ work: item, cellId: decision.cellId });
    else result.unplaced.push({ work: item, reason: decision.reason });
  }
  return result;
}
