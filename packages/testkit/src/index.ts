export * from "./fixtures";
export * from "./services";
