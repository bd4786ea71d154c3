import { InvalidSpec } from "../errors";
import { type Cidr, contains, formatIPv4, parseAddressWithPrefix, parseIPv4 } from "./ipv4";

/**
 * How containers reach containers behind other hosts. `routes`: a host route per remote subnet via
 * that host's address (the hosts share one L2). `vxlan`: one VXLAN device carries the remote subnets
 * to their hosts over any routed underlay, with static neighbour and FDB entries (no multicast, no
 * learning); its MTU is the underlay's minus the 50 bytes of encapsulation.
 */
export type OverlayMode = "routes" | "vxlan";

/** Another host's container subnet and the address the host is reached on. */
export interface RemoteSubnet {
  subnet: string;
  address: string;
}

/** One kernel route to a remote subnet (`ip route replace …`). */
export interface OverlayRoute {
  subnet: string;
  via: string;
  /** set in vxlan mode: through the VXLAN device, `onlink` */
  device?: string;
}

/** What the host's routing should hold for a set of remote subnets. */
export interface OverlayPlan {
  routes: OverlayRoute[];
  /** vxlan: remote VTEP address → its MAC (permanent neighbour entries) */
  neighbours: { address: string; mac: string }[];
  /** vxlan: remote VTEP MAC → the host address its frames are sent to (static FDB entries) */
  fdb: { mac: string; dst: string }[];
  /** remote subnets left out, and why (a peer on this very host, a malformed or overlapping subnet) */
  skipped: { subnet: string; reason: string }[];
}

/** VXLAN's extra headers on an IPv4 underlay (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

/** The VTEP address of a host in vxlan mode: its container subnet's network address (as flannel does). */
export function vtepAddress(subnet: Cidr): string {
  return formatIPv4(subnet.network);
}

/**
 * The VTEP MAC of a host in vxlan mode, derived from its subnet so no host has to tell another its
 * MAC: locally administered unicast `0e:67:` + the four bytes of the subnet's network address.
 */
export function vtepMac(subnet: Cidr): string {
  const bytes = [0x0e, 0x67, ...[24, 16, 8, 0].map((shift) => Math.floor(subnet.network / 2 ** shift) % 256)];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Parses "a.b.c.d/n" with host bits clear; throws InvalidSpec otherwise. */
export function parseSubnet(text: string): Cidr {
  const parsed = parseAddressWithPrefix(text);
  if (parsed === undefined || parsed.prefix < 8 || parsed.prefix > 30)
    throw new InvalidSpec(`subnet ${JSON.stringify(text)}: want an IPv4 a.b.c.d/8…/30`);
  if (parsed.address % 2 ** (32 - parsed.prefix) !== 0)
    throw new InvalidSpec(`subnet ${text}: host bits are set`);
  return { network: parsed.address, prefix: parsed.prefix };
}

/**
 * Plans the routes (and in vxlan mode the neighbour and FDB entries) that make the remote subnets
 * reachable. Pure. A remote subnet must lie inside `overlay` and not overlap this host's own or an
 * earlier remote one; a remote on this host's own address needs nothing (its bridge is local).
 * Output is sorted, so equal inputs give equal plans.
 */
export function planOverlay(input: {
  mode: OverlayMode;
  overlay: Cidr;
  self: { subnet: Cidr; address: string };
  remotes: readonly RemoteSubnet[];
  /** the VXLAN device's name (vxlan mode) */
  device: string;
}): OverlayPlan {
  const plan: OverlayPlan = { routes: [], neighbours: [], fdb: [], skipped: [] };
  const taken: Cidr[] = [input.self.subnet];
  const remotes = [...input.remotes].sort(
    (a, b) => a.subnet.localeCompare(b.subnet) || a.address.localeCompare(b.address),
  );
  for (const remote of remotes) {
    let subnet: Cidr;
    try {
      subnet = parseSubnet(remote.subnet);
    } catch (error) {
      plan.skipped.push({ subnet: remote.subnet, reason: (error as Error).message });
      continue;
    }
    if (parseIPv4(remote.address) === undefined) {
      plan.skipped.push({ subnet: remote.subnet, reason: `address ${remote.address} is not IPv4` });
      continue;
    }
    if (remote.address === input.self.address) {
      plan.skipped.push({ subnet: remote.subnet, reason: "on this host" });
      continue;
    }
    if (!within(input.overlay, subnet)) {
      plan.skipped.push({ subnet: remote.subnet, reason: "outside the overlay range" });
      continue;
    }
    if (taken.some((t) => overlaps(t, subnet))) {
      plan.skipped.push({ subnet: remote.subnet, reason: "overlaps a subnet already routed" });
      continue;
    }
    taken.push(subnet);
    if (input.mode === "routes") {
      plan.routes.push({ subnet: remote.subnet, via: remote.address });
      continue;
    }
    const vtep = vtepAddress(subnet);
    const mac = vtepMac(subnet);
    plan.routes.push({ subnet: remote.subnet, via: vtep, device: input.device });
    plan.neighbours.push({ address: vtep, mac });
    plan.fdb.push({ mac, dst: remote.address });
  }
  return plan;
}

function within(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && contains(outer, inner.network);
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return within(a, b) || within(b, a);
}
