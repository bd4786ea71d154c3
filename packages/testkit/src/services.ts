/** The service starters without vitest, for benchmarks and scripts: `@grove/testkit/services`. */
export * from "./child";
export * from "./nats";
export * from "./netns";
export * from "./ports";
export * from "./postgres";
export * from "./requirements";
export * from "./run-id";
export * from "./system-user";
export * from "./temp";
