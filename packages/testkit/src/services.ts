/** The service starters without vitest, for benchmarks and scripts: `@grove/testkit/services`. */
export { forwardLoopbackPort, postgresBinDir, stopChild, waitForOutput } from "@grove/services";
export * from "./eventually";
export * from "./nats";
export * from "./netns";
export * from "./ports";
export * from "./postgres";
export * from "./requirements";
export * from "./run-id";
export * from "./temp";
