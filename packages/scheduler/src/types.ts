/** Amounts of the three resources placement accounts for. */
export interface Resources {
  memoryMb: number;
  diskMb: number;
  containers: number;
}

/** Placement only considers `active` cells; `draining` ones are being emptied, `lost` ones are gone. */
export type CellState = "active" | "draining" | "lost";

/** One cell as the scheduler sees it. */
export interface CellSnapshot {
  id: string;
  zone: string;
  state: CellState;
  capacity: Resources;
  used: Resources;
  tags: readonly string[];
  stacks: readonly string[];
  /** Instances of each app already on the cell (or on their way), by app id. */
  appInstances: Readonly<Record<string, number>>;
}

/** Everything placement reads: the cells and what is on them. */
export interface ClusterSnapshot {
  cells: readonly CellSnapshot[];
}

/** One instance to place. Callers may extend it; the same object comes back in the result. */
export interface Work {
  appId: string;
  index: number;
  memoryMb: number;
  diskMb: number;
  stack: string;
  /** Tags the cell must all carry. */
  tags?: readonly string[];
  /**
   * The cell holding the data of a volume the instance mounts: it may go nowhere else (a volume
   * not yet made on any cell leaves this out, and the instance goes wherever it fits).
   */
  volumeCellId?: string;
}

export interface Placement<W extends Work = Work> {
  work: W;
  cellId: string;
}

export interface Unplaced<W extends Work = Work> {
  work: W;
  /** A sentence for people, e.g. "insufficient memory: largest free 512 MB, need 1024 MB". */
  reason: string;
}

export interface PlacementResult<W extends Work = Work> {
  placements: Placement<W>[];
  unplaced: Unplaced<W>[];
}

/**
 * Score weights (lower score wins). The balance term is in [0, 1]; the penalty is per instance of
 * the same app already on the cell, so it dominates balance. Zones are not weighed: they are kept
 * within one instance of each other (see `place`).
 */
export interface Weights {
  sameAppOnCell: number;
}

/** Defaults: a cell never gets a second instance of an app while a cell without one in a zone as spread is eligible. */
export const DEFAULT_WEIGHTS: Readonly<Weights> = Object.freeze({ sameAppOnCell: 1000 });
