export * from "./client";
export * from "./migrate";
export type { AppImage } from "./schema";
export * as schema from "./schema";
