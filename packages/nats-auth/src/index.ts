export * from "./authority";
export * from "./connect-options";
export * from "./permissions";
