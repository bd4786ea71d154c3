export type { NetworkerConfig } from "./config";
export type { ControlPlaneService, EgressAllow, EgressRules } from "./egress-rules";
export * from "./errors";
export type { CniNetworker, NetworkPolicy } from "./networker";
export { createNetworker } from "./networker";
export type { PeerAllow, PeerRules } from "./peer-rules";
export { NO_PEER_RULES } from "./peer-rules";
export { OUTBOUND_VERDICT } from "./policy";
