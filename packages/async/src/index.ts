export * from "./map-bounded";
export * from "./one-at-a-time";
