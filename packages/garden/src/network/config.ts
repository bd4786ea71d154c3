import { join } from "node:path";
import type { Logger } from "pino";
import { InvalidNetworkerConfig } from "./errors";
import { broadcastOf, type Cidr, contains, formatIPv4, parseAddressWithPrefix, parseIPv4 } from "./ipv4";
import { type OverlayConfig, type ResolvedOverlay, resolveOverlay } from "./overlay";

/** Settings of one cell's networker. Every name in it must be unique per cell on a machine. */
export interface NetworkerConfig {
  /** addresses, mappings and rules are persisted here (network.json) */
  stateDir: string;
  /** Linux bridge all containers of the cell hang off (<= 15 chars) */
  bridge: string;
  /** IPv4 subnet of the cell, e.g. "10.254.0.0/22"; the first address is the gateway on the bridge */
  subnet: string;
  /**
   * Names the nft tables and prefixes the container netns names (/run/netns/<name>-…).
   * A lower-case letter, then [a-z0-9_-], at most 20 characters.
   */
  name: string;
  /** the cell's own address: NetIn DNATs traffic for it, and it is reported as ExternalIP */
  externalIP: string;
  /** NetIn host port pool; default 61001–65000 (above Linux's default ephemeral range) */
  portPool?: { start: number; end: number };
  /**
   * A network namespace acting as this cell's host: bridge, veths, NAT and filter rules all live in
   * it (entered with `nsenter --net=`), nothing in the root namespace. For several cells on one machine.
   */
  hostNetns?: string;
  /**
   * Containers reach each other only where the peer rules (`setPeerRules`) allow; default false
   * (Garden's open bridge). Turns on `net.bridge.bridge-nf-call-iptables` in the host namespace.
   */
  isolateContainers?: boolean;
  /**
   * Containers of other hosts, each host with its own subnet inside `overlay.cidr`, are reached
   * directly (no NAT) through host routes or VXLAN (`setRemoteSubnets`); with `isolateContainers`
   * traffic to and from them passes only where the peer rules allow. Unset: none (Garden's bridge).
   */
  overlay?: OverlayConfig;
  /** where the `grove-net` helper is compiled to (once per source version); default <stateDir>/bin */
  helperDir?: string;
  log: Logger;
}

/** The config after validation and defaults, with the subnet parsed. */
export interface ResolvedNetworkerConfig extends Required<Omit<NetworkerConfig, "hostNetns" | "overlay">> {
  hostNetns: string | undefined;
  overlay: ResolvedOverlay | undefined;
  cidr: Cidr;
  gateway: number;
}

const NAME = /^[a-z][a-z0-9_-]{0,19}$/;
const BRIDGE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export function resolveNetworkerConfig(config: NetworkerConfig): ResolvedNetworkerConfig {
  if (!NAME.test(config.name)) {
    throw new InvalidNetworkerConfig(
      `name ${JSON.stringify(config.name)}: want a letter then [a-z0-9_-], <= 20 chars`,
    );
  }
  if (!BRIDGE.test(config.bridge)) {
    throw new InvalidNetworkerConfig(
      `bridge ${JSON.stringify(config.bridge)}: want a device name <= 15 chars`,
    );
  }
  const parsed = parseAddressWithPrefix(config.subnet);
  if (parsed === undefined || parsed.prefix > 29 || parsed.prefix < 8) {
    throw new InvalidNetworkerConfig(`subnet ${JSON.stringify(config.subnet)}: want an IPv4 a.b.c.d/8…/29`);
  }
  const cidr: Cidr = { network: parsed.address, prefix: parsed.prefix };
  if (cidr.network % 2 ** (32 - cidr.prefix) !== 0) {
    throw new InvalidNetworkerConfig(`subnet ${config.subnet}: host bits are set`);
  }
  const external = parseIPv4(config.externalIP);
  if (external === undefined) {
    throw new InvalidNetworkerConfig(`externalIP ${JSON.stringify(config.externalIP)}: want an IPv4 address`);
  }
  if (contains(cidr, external)) {
    throw new InvalidNetworkerConfig(`externalIP ${config.externalIP} lies inside the container subnet`);
  }
  const portPool = config.portPool ?? { start: 61001, end: 65000 };
  if (
    !Number.isInteger(portPool.start) ||
    !Number.isInteger(portPool.end) ||
    portPool.start < 1 ||
    portPool.end > 65535 ||
    portPool.start > portPool.end
  ) {
    throw new InvalidNetworkerConfig(`portPool ${portPool.start}-${portPool.end}: not a port range`);
  }
  const gateway = cidr.network + 1;
  if (gateway >= broadcastOf(cidr)) throw new InvalidNetworkerConfig(`subnet ${config.subnet} is too small`);
  return {
    ...config,
    portPool,
    hostNetns: config.hostNetns,
    overlay: config.overlay ? resolveOverlay(config.overlay, cidr) : undefined,
    helperDir: config.helperDir ?? join(config.stateDir, "bin"),
    isolateContainers: config.isolateContainers ?? false,
    cidr,
    gateway,
  };
}

/** The gateway (the bridge's own address, the subnet's first) of a valid networker subnet. */
export function gatewayOf(subnet: string): string {
  const parsed = parseAddressWithPrefix(subnet);
  if (parsed === undefined)
    throw new InvalidNetworkerConfig(`subnet ${JSON.stringify(subnet)}: want a.b.c.d/n`);
  const size = 2 ** (32 - parsed.prefix);
  return formatIPv4(parsed.address - (parsed.address % size) + 1);
}
