export {
  type CellRuntime,
  type CellRuntimeOptions,
  cellName,
  createCellRuntime,
  STACKS,
} from "./cell-runtime";
export { MalformedRequest } from "./errors";
export type { GardenServer, GardenServerOptions, ListenOptions } from "./server";
export { createGardenServer } from "./server";
export { containerSpecFromWire } from "./wire/container-spec";
export { errorToWire, type WireError } from "./wire/error-body";
export { processSpecFromWire } from "./wire/process-spec";
