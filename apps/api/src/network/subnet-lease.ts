/**
 * Subnet leases as pure decisions: which subnet of the cluster range a cell gets. The repo applies
 * them under one lock (repo/subnet-leases.ts).
 */

/** The cluster range and the size of each cell's subnet in it. */
export interface SubnetRange {
  network: number;
  prefix: number;
  /** prefix length of each cell's subnet, e.g. 24 */
  cellPrefix: number;
}

export interface Lease {
  subnet: string;
  cellId: string;
  expiresAt: Date;
}

export type LeaseDecision =
  | {
      ok: true;
      subnet: string /** an expired lease of another cell that the subnet is taken from */;
      reclaim?: Lease;
    }
  | { ok: false; reason: string };

const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseAddress(text: string): number | undefined {
  const m = DOTTED.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function formatAddress(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses "a.b.c.d/n" with host bits clear; undefined otherwise. */
export function parseCidr(text: string): { network: number; prefix: number } | undefined {
  const [address, prefixText, extra] = text.split("/");
  if (address === undefined || prefixText === undefined || extra !== undefined) return undefined;
  if (!/^\d{1,2}$/.test(prefixText)) return undefined;
  const network = parseAddress(address);
  const prefix = Number(prefixText);
  if (network === undefined || prefix > 32) return undefined;
  if (network % 2 ** (32 - prefix) !== 0) return undefined;
  return { network, prefix };
}

/** The range from config, or a one-line reason it cannot be one. */
export function parseSubnetRange(cidr: string, cellPrefix: number): SubnetRange | string {
  const parsed = parseCidr(cidr);
  if (!parsed) return `${JSON.stringify(cidr)} is not an IPv4 subnet a.b.c.d/n with host bits clear`;
  if (parsed.prefix < 8) return `${cidr} is larger than a /8`;
  if (!Number.isInteger(cellPrefix) || cellPrefix > 28)
    return `cell subnets of /${cellPrefix} are too small (at most /28)`;
  if (cellPrefix <= parsed.prefix) return `cell subnets of /${cellPrefix} do not fit ${cidr} more than once`;
  return { ...parsed, cellPrefix };
}

export function formatRange(range: SubnetRange): string {
  return `${formatAddress(range.network)}/${range.prefix}`;
}

/** How many cell subnets the range holds. */
export function subnetCount(range: SubnetRange): number {
  return 2 ** (range.cellPrefix - range.prefix);
}

/** The `index`-th cell subnet of the range. */
export function subnetAt(range: SubnetRange, index: number): string {
  return `${formatAddress(range.network + index * 2 ** (32 - range.cellPrefix))}/${range.cellPrefix}`;
}

/** True when `subnet` is one of the range's cell subnets. */
export function isCellSubnet(range: SubnetRange, subnet: string): boolean {
  const parsed = parseCidr(subnet);
  if (!parsed || parsed.prefix !== range.cellPrefix) return false;
  const offset = parsed.network - range.network;
  return offset >= 0 && offset < 2 ** (32 - range.prefix);
}

/**
 * The subnet a cell gets: the one it holds already; else the lowest never-leased one; else the one
 * whose lease expired longest ago (its cell has been silent for longer than the lease). None when
 * every subnet is leased to a live cell.
 */
export function chooseSubnet(
  range: SubnetRange,
  leases: readonly Lease[],
  cellId: string,
  now: Date,
): LeaseDecision {
  const own = leases.find((l) => l.cellId === cellId && isCellSubnet(range, l.subnet));
  if (own) return { ok: true, subnet: own.subnet };
  const leased = new Set(leases.map((l) => l.subnet));
  const count = subnetCount(range);
  for (let index = 0; index < count; index++) {
    const subnet = subnetAt(range, index);
    if (!leased.has(subnet)) return { ok: true, subnet };
  }
  const expired = leases
    .filter((l) => l.cellId !== cellId && l.expiresAt <= now && isCellSubnet(range, l.subnet))
    .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime() || a.subnet.localeCompare(b.subnet));
  const oldest = expired[0];
  if (oldest) return { ok: true, subnet: oldest.subnet, reclaim: oldest };
  return {
    ok: false,
    reason: `every /${range.cellPrefix} of ${formatRange(range)} is leased to a live cell`,
  };
}

/**
 * Whether a cell may keep using `subnet` (what its network already runs on, reported after a
 * restart): yes when it is the cell's lease, free, or leased to another cell whose lease expired.
 */
export function claimSubnet(
  range: SubnetRange,
  leases: readonly Lease[],
  cellId: string,
  subnet: string,
  now: Date,
): LeaseDecision {
  if (!isCellSubnet(range, subnet))
    return {
      ok: false,
      reason: `${subnet} is not a /${range.cellPrefix} of the cluster range ${formatRange(range)}`,
    };
  const holder = leases.find((l) => l.subnet === subnet);
  if (!holder || holder.cellId === cellId) return { ok: true, subnet };
  if (holder.expiresAt <= now) return { ok: true, subnet, reclaim: holder };
  return { ok: false, reason: `${subnet} is leased to another cell until ${holder.expiresAt.toISOString()}` };
}
