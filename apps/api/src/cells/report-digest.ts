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

/** A heartbeat's digests and the JSON it is stored as. */
export interface DigestedReport {
  digests: ReportDigests;
  /** the heartbeat as JSON (what `cells.last_report` holds) */
  json: string;
  /** the same without `at` and `seq` (what `whole` digests) */
  bodyJson: string;
}

const digest = (json: string) => createHash("sha256").update(json).digest("base64url");

/**
 * The digests of a heartbeat and its JSON, serialising it once: the body (all but `at` and `seq`) is
 * serialised for the whole digest and the stored JSON is made from it; the state digest is the
 * whole one unless an instance carries usage (which it leaves out).
 */
export function digestReport(heartbeat: CellHeartbeat): DigestedReport {
  const { at, seq, ...body } = heartbeat;
  const bodyJson = JSON.stringify(body);
  const whole = digest(bodyJson);
  const state = body.instances.some((instance) => instance.usage !== undefined)
    ? digest(
        JSON.stringify({
          ...body,
          instances: body.instances.map(({ usage: _usage, ...instance }) => instance),
        }),
      )
    : whole;
  return { digests: { state, whole }, json: stampedJson(at, seq, bodyJson), bodyJson };
}

/** The stored JSON of a heartbeat whose body (all but `at` and `seq`) is `bodyJson`. */
export function stampedJson(at: string, seq: number, bodyJson: string): string {
  // the body is a JSON object with at least `v` and `cellId`: `at` and `seq` go in front of its fields
  return `{"at":${JSON.stringify(at)},"seq":${seq},${bodyJson.slice(1)}`;
}
