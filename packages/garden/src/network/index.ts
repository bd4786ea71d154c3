export type { NetworkerConfig } from "./config";
export * from "./errors";
export type { CniNetworker } from "./networker";
export { createNetworker } from "./networker";
export { OUTBOUND_VERDICT, SAME_BRIDGE_VERDICT } from "./policy";
