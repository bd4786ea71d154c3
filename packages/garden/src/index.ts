export { CgroupV1 } from "./cgroups/cgroups-v1";
export { type GardenConfig, resolveConfig } from "./config";
export * from "./errors";
export { createGarden, type GardenSeams } from "./garden";
export type * from "./garden-api";
export { ensureMonitorBinary, monitorSourcePath } from "./monitor/build";
export * from "./network";
export type * from "./seams";
export type * from "./types";
