/** IPv4 arithmetic on unsigned 32-bit numbers; everything here is pure. */

export interface Cidr {
  /** network address (host bits cleared) */
  network: number;
  prefix: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Parses "a.b.c.d"; undefined when it is not a dotted-quad IPv4 address. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => OCTET.test(p))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses "a.b.c.d/n" (or a bare address, as /32); returns the address given and its prefix. */
export function parseAddressWithPrefix(text: string): { address: number; prefix: number } | undefined {
  const [addr, prefixText, extra] = text.split("/");
  if (addr === undefined || extra !== undefined) return undefined;
  const address = parseIPv4(addr);
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (address === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  if (prefixText !== undefined && !/^\d{1,2}$/.test(prefixText)) return undefined;
  return { address, prefix };
}

export function hostCount(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function networkOf(address: number, prefix: number): number {
  const size = hostCount(prefix);
  return address - (address % size);
}

export function cidrOf(address: number, prefix: number): Cidr {
  return { network: networkOf(address, prefix), prefix };
}

export function broadcastOf(cidr: Cidr): number {
  return cidr.network + hostCount(cidr.prefix) - 1;
}

export function contains(cidr: Cidr, address: number): boolean {
  return address >= cidr.network && address <= broadcastOf(cidr);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIPv4(cidr.network)}/${cidr.prefix}`;
}
