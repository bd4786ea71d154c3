import type { InvalidMessage } from "@grove/protocol";

/**
 * The rejection reason (metric label, dead letter reason) of a cell message that did not decode:
 * `unsupported-version` for a `v` this api does not speak (an agent older or newer than it), else
 * `invalid`.
 */
export function rejectionOf(error: InvalidMessage): "invalid" | "unsupported-version" {
  return error.kind === "unsupported-version" ? "unsupported-version" : "invalid";
}
