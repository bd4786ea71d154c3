import { createHash } from "node:crypto";
import type { CellHeartbeat } from "@grove/protocol";

/** Digests of a heartbeat, stored with the report they describe (`cells.report_digest`). */
export interface ReportDigests {
  /**
   * What the heartbeat says apart from when it was sent and how busy each instance is: its capacity,
   * instances and their states, volumes. Two heartbeats with the same one change nothing the
   * control plane acts on, so the second need not be written.
   */
  state: string;
  /** the whole report but when it was sent: equal means even usage and pull progress are the same */
  whole: string;
}

const digest = (value: unknown) => createHash("sha256").update(JSON.stringify(value)).digest("base64url");

export function reportDigests(heartbeat: CellHeartbeat): ReportDigests {
  const { at: _at, seq: _seq, instances, ...rest } = heartbeat;
  const state = { ...rest, instances: instances.map(({ usage: _usage, ...instance }) => instance) };
  return { state: digest(state), whole: digest({ ...rest, instances }) };
}
