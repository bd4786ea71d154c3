import { z } from "zod";
import { id } from "./common";

/** An IPv4 subnet "a.b.c.d/n". */
export const ipv4Cidr = z
  .string()
  .max(18)
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, "must be an IPv4 subnet a.b.c.d/n");

/**
 * How cells reach each other's containers: `routes` (a host route per cell, the cells share one L2)
 * or `vxlan` (a VXLAN device with static FDB entries, over any routed underlay).
 */
export const OverlayMode = z.enum(["routes", "vxlan"]);
export type OverlayMode = z.infer<typeof OverlayMode>;

/**
 * The cell's place in the cluster network, as the api leased it: its container subnet, the range
 * all cells' subnets lie in, and how cells reach each other.
 */
export const CellNetwork = z.object({ subnet: ipv4Cidr, range: ipv4Cidr, mode: OverlayMode });
export type CellNetwork = z.infer<typeof CellNetwork>;

/** Another cell as a peer of the overlay: where it is and which containers it holds. */
export const PeerCell = z.object({
  cellId: id,
  address: z.union([z.ipv4(), z.ipv6()]),
  subnet: ipv4Cidr,
});
export type PeerCell = z.infer<typeof PeerCell>;

/**
 * api → agent (a cell command): every other cell in service with its leased subnet; the cell routes
 * exactly these (replacing what it routed before). Idempotent; a lower version than the last
 * applied is ignored. Sent by the leader each round, so a cell joining or leaving reaches every
 * other cell's routes within a round.
 */
export const ApplyPeers = z.object({
  type: z.literal("apply-peers"),
  version: z.int().nonnegative(),
  range: ipv4Cidr,
  mode: OverlayMode,
  peers: z.array(PeerCell).max(10_000),
});
export type ApplyPeers = z.output<typeof ApplyPeers>;
