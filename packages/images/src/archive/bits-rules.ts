import type { PlanOptions } from "./planner";

/**
 * How app bits are judged, at upload (api) and before unpacking (agent) alike: links stay inside,
 * no devices or fifos, no whiteouts. Mode bits kept on the host copy: no setuid, setgid, sticky
 * or world access.
 */
export const APP_BITS_RULES = {
  symlinks: "contained",
  devices: "reject",
  whiteouts: false,
  modeMask: 0o770,
} as const satisfies Omit<PlanOptions, "limits" | "disk"> & { modeMask: number };
