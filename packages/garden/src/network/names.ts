import { createHash } from "node:crypto";

/**
 * Short, stable id for a handle. Handles are arbitrary strings; netns names and nft chain names are
 * not, so both use this id (stable, so restore and down find them again).
 */
export function networkId(handle: string): string {
  return createHash("sha256").update(handle).digest("hex").slice(0, 12);
}

export function netnsNameFor(prefix: string, handle: string): string {
  return `${prefix}-${networkId(handle)}`;
}

export const NETNS_DIR = "/run/netns";

/** The host side of a container's veth pair: unique per cell and handle, 15 characters. */
export function vethNameFor(cell: string, handle: string): string {
  return `veth${createHash("sha256").update(`${cell}/${handle}`).digest("hex").slice(0, 11)}`;
}

/** The container side of its veth pair. */
export const CONTAINER_IFNAME = "eth0";
