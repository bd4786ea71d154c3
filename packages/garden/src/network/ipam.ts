import { AddressesExhausted, InvalidNetwork } from "./errors";
import { broadcastOf, type Cidr, formatCidr, formatIPv4, parseIPv4 } from "./ipv4";
import type { NetworkState } from "./state";

/** A fixed address, or a sub-range of the cell subnet to take one from (see requested-network.ts). */
export type AddressRequest = { ip: string } | { rangeStart: string; rangeEnd: string };

/**
 * Picks a container address from the state: the one asked for, or the next free one after the last
 * handed out (wrapping around), so an address just released is not reused at once. Addresses of
 * every record count as taken, half-created ones too. Updates `state.lastAddress`.
 */
export function allocateAddress(
  state: NetworkState,
  cell: Cidr,
  gateway: number,
  want: AddressRequest | undefined,
): string {
  const taken = new Set<number>([gateway]);
  for (const record of Object.values(state.containers)) {
    const ip = record.containerIP === undefined ? undefined : parseIPv4(record.containerIP);
    if (ip !== undefined) taken.add(ip);
  }
  if (want && "ip" in want) {
    if (taken.has(parseIPv4(want.ip) as number))
      throw new InvalidNetwork(`address ${want.ip} is already in use in the cell subnet`);
    return want.ip;
  }
  const first = want ? (parseIPv4(want.rangeStart) as number) : cell.network + 1;
  const last = want ? (parseIPv4(want.rangeEnd) as number) : broadcastOf(cell) - 1;
  const size = last - first + 1;
  const previous = state.lastAddress === undefined ? undefined : parseIPv4(state.lastAddress);
  const from = previous !== undefined && previous >= first && previous < last ? previous + 1 : first;
  for (let i = 0; i < size; i++) {
    const candidate = first + ((from - first + i) % size);
    if (taken.has(candidate)) continue;
    state.lastAddress = formatIPv4(candidate);
    return state.lastAddress;
  }
  const range = want ? `${want.rangeStart}-${want.rangeEnd}` : formatCidr(cell);
  throw new AddressesExhausted(range);
}
