import { createHash } from "node:crypto";
import type { CellHeartbeat } from "@grove/protocol";

/**
 * What a heartbeat says apart from when it was sent and how busy each instance is: its capacity,
 * instances and their states, volumes. Two heartbeats with the same digest change nothing the
 * control plane acts on, so the second need not be written.
 */
export function reportDigest(heartbeat: CellHeartbeat): string {
  const { at: _at, seq: _seq, instances, ...rest } = heartbeat;
  const steady = { ...rest, instances: instances.map(({ usage: _usage, ...instance }) => instance) };
  return createHash("sha256").update(JSON.stringify(steady)).digest("base64url");
}
