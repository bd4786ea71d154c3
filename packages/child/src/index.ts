export * from "./child-failed";
export * from "./run-child";
