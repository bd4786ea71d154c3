import type { NetInMapping } from "../types";
import { PortInUse, PortPoolExhausted } from "./errors";
import type { NetworkState } from "./state";

export interface PortPool {
  start: number;
  end: number;
}

export function portsInUse(state: NetworkState): Set<number> {
  const used = new Set<number>();
  for (const record of Object.values(state.containers)) {
    for (const m of record.mappedPorts) used.add(m.hostPort);
  }
  return used;
}

/**
 * Picks the first free pool port at or after `cursor`, wrapping around once. Searching from a
 * moving cursor (rather than the pool start) delays reuse of a port just released, as Garden does,
 * so a client still holding the old mapping's address is unlikely to reach a new container.
 */
export function pickFreePort(used: Set<number>, pool: PortPool, cursor: number): number {
  const size = pool.end - pool.start + 1;
  const from = cursor < pool.start || cursor > pool.end ? pool.start : cursor;
  for (let i = 0; i < size; i++) {
    const port = pool.start + ((from - pool.start + i) % size);
    if (!used.has(port)) return port;
  }
  throw new PortPoolExhausted(pool);
}

/**
 * Adds a NetIn mapping for `handle` to `state` (mutating it) and returns it. Host port 0 takes one
 * from the pool; container port 0 means "same as the host port". Asking again for an identical
 * mapping returns it unchanged; any other claim on a held host port is refused.
 */
export function addMapping(
  state: NetworkState,
  handle: string,
  pool: PortPool,
  hostPort: number,
  containerPort: number,
): NetInMapping {
  const record = state.containers[handle];
  if (record === undefined) throw new Error(`addMapping: ${handle} has no network`);
  const used = portsInUse(state);
  let port = hostPort;
  if (port === 0) {
    port = pickFreePort(used, pool, state.nextPort);
    state.nextPort = port + 1 > pool.end ? pool.start : port + 1;
  } else if (used.has(port)) {
    const wanted = containerPort === 0 ? port : containerPort;
    const same = record.mappedPorts.find((m) => m.hostPort === port && m.containerPort === wanted);
    if (same) return same;
    throw new PortInUse(port, handle);
  }
  const mapping = { hostPort: port, containerPort: containerPort === 0 ? port : containerPort };
  record.mappedPorts.push(mapping);
  return mapping;
}
