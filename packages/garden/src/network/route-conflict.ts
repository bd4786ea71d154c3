import { InvalidNetworkerConfig } from "./errors";
import type { HostExec } from "./host-exec";
import { broadcastOf, type Cidr, formatCidr, networkOf, parseAddressWithPrefix } from "./ipv4";

/** One entry of `ip -j -4 route show`. */
export interface RouteEntry {
  dst: string;
  dev?: string;
  type?: string;
}

/**
 * The first route that sends some of `cidr` elsewhere than `bridge` (a network already using
 * these addresses on another interface); undefined when the subnet is free. The default route
 * and routes without a device do not count.
 */
export function conflictingRoute(
  routes: readonly RouteEntry[],
  cidr: Cidr,
  bridge: string,
): RouteEntry | undefined {
  return routes.find((route) => {
    if (!route.dev || route.dev === bridge || route.dst === "default") return false;
    const parsed = parseAddressWithPrefix(route.dst);
    if (!parsed) return false;
    const start = networkOf(parsed.address, parsed.prefix);
    const end = broadcastOf({ network: start, prefix: parsed.prefix });
    return start <= broadcastOf(cidr) && end >= cidr.network;
  });
}

/**
 * Refuses to run a network on a subnet the host already routes through another interface (say
 * a second Grove network's bridge left behind): containers there would be unreachable.
 */
export async function assertSubnetFree(host: HostExec, cidr: Cidr, bridge: string): Promise<void> {
  const out = await host.run("list routes", "ip", ["-j", "-4", "route", "show"]);
  const conflict = conflictingRoute(JSON.parse(out || "[]") as RouteEntry[], cidr, bridge);
  if (conflict) {
    throw new InvalidNetworkerConfig(
      `subnet ${formatCidr(cidr)} is already routed through ${conflict.dev} (route ${conflict.dst}); ` +
        `choose another subnet, or remove what owns ${conflict.dev}`,
    );
  }
}
