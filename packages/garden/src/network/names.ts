import { createHash } from "node:crypto";

/**
 * Short, stable id for a handle. Handles are arbitrary strings; netns names, CNI container ids and
 * nft chain names are not, so all of them use this id (stable, so restore and down find them again).
 */
export function networkId(handle: string): string {
  return createHash("sha256").update(handle).digest("hex").slice(0, 12);
}

export function netnsNameFor(prefix: string, handle: string): string {
  return `${prefix}-${networkId(handle)}`;
}

export const NETNS_DIR = "/run/netns";
