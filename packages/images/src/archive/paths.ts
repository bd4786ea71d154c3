import { InvalidArchive } from "./errors";
import { MAX_SEGMENT_BYTES } from "./limits";

/**
 * An archive member name as path segments below the destination: "./a//b/" → ["a", "b"]; "/"
 * alone is the destination itself (as Docker reads a layer's root entry).
 * Other absolute names and any ".." segment are refused rather than cleaned up.
 */
export function entrySegments(name: string): string[] {
  if (name.includes("\0")) throw new InvalidArchive(name, "NUL in name");
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (name.startsWith("/") && segments.length > 0) throw new InvalidArchive(name, "absolute path");
  if (segments.includes("..")) throw new InvalidArchive(name, "path contains '..'");
  for (const segment of segments) {
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES)
      throw new InvalidArchive(name, `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`);
  }
  return segments;
}

export const WHITEOUT_PREFIX = ".wh.";
export const OPAQUE_WHITEOUT = ".wh..wh..opq";

export type Whiteout = { kind: "opaque" } | { kind: "delete"; name: string } | { kind: "meta" };

/** OCI whiteout meaning of a member's base name, or undefined for ordinary members. */
export function whiteoutOf(base: string): Whiteout | undefined {
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (base === OPAQUE_WHITEOUT) return { kind: "opaque" };
  // other ".wh..wh." names are aufs bookkeeping (e.g. .wh..wh.plnk), not whiteouts
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: "meta" };
  return { kind: "delete", name: base.slice(WHITEOUT_PREFIX.length) };
}
