import { InvalidNetwork } from "./errors";
import type { AddressRequest } from "./ipam";
import { broadcastOf, type Cidr, contains, formatIPv4, networkOf, parseAddressWithPrefix } from "./ipv4";

/**
 * Maps a ContainerSpec `network` onto the cell's shared subnet. "a.b.c.d/n" with host bits set asks
 * for that exact address; with host bits clear it asks for any address inside that range. Either way
 * the container is addressed with the cell's prefix (one bridge per cell), and the range must lie
 * inside the cell subnet.
 */
export function requestedAddress(
  network: string | undefined,
  cell: Cidr,
  gateway: number,
): AddressRequest | undefined {
  if (network === undefined || network === "") return undefined;
  const parsed = parseAddressWithPrefix(network);
  if (parsed === undefined) throw new InvalidNetwork(`network ${JSON.stringify(network)}: want a.b.c.d/n`);
  const { address, prefix } = parsed;
  const first = networkOf(address, prefix);
  const last = broadcastOf({ network: first, prefix });
  if (!contains(cell, first) || !contains(cell, last)) {
    throw new InvalidNetwork(
      `network ${network} is outside the cell subnet ${formatIPv4(cell.network)}/${cell.prefix}`,
    );
  }
  const reserved = (ip: number) => ip === cell.network || ip === broadcastOf(cell) || ip === gateway;
  if (address !== first || prefix === 32) {
    if (reserved(address))
      throw new InvalidNetwork(`network ${network}: address is reserved in the cell subnet`);
    return { ip: formatIPv4(address) };
  }
  // As in Garden, a range's own network and broadcast addresses are not handed out.
  const start = Math.max(prefix <= 30 ? first + 1 : first, cell.network + 1);
  const end = Math.min(prefix <= 30 ? last - 1 : last, broadcastOf(cell) - 1);
  if (start > end) throw new InvalidNetwork(`network ${network} has no usable address`);
  return { rangeStart: formatIPv4(start), rangeEnd: formatIPv4(end) };
}
