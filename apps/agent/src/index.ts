export { type AgentOptions, BITS_BUCKET, type RunningAgent, startAgent } from "./agent";
export { AgentConfig, parseAgentConfig } from "./config";
export { JoinRefused } from "./identity";
