export { InvalidSnapshot, SchedulerError } from "./errors";
export { type PlaceOptions, place, placementOrder } from "./place";
export { createPlacer, type Decision, type Placer } from "./placer";
export {
  type CellSnapshot,
  type CellState,
  type ClusterSnapshot,
  DEFAULT_WEIGHTS,
  type Placement,
  type PlacementResult,
  type Resources,
  type Unplaced,
  type Weights,
  type Work,
} from "./types";
