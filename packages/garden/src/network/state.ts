import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { NetInMapping, NetOutRule } from "../types";
import type { EgressRules } from "./egress-rules";
import type { PeerRules } from "./peer-rules";

/** One container's network as persisted; `creating` means up() did not finish (a crash mid-way). */
export interface ContainerRecord {
  handle: string;
  /** short id derived from the handle: netns name suffix, chain name suffix */
  id: string;
  netnsName: string;
  netnsPath: string;
  status: "creating" | "up";
  /** chosen before the network is wired, so a half-created one holds its address until cleaned up */
  containerIP?: string;
  /** host-side veth (named from the cell and handle; older records: the CNI plugin's name); per-port anti-spoofing */
  hostVeth?: string;
  mappedPorts: NetInMapping[];
  netOut: NetOutRule[];
}

export interface NetworkState {
  version: 1;
  /** where the next NetIn pool search starts, so a released port is not handed out again at once */
  nextPort: number;
  /** the container address handed out last: the next search starts after it */
  lastAddress?: string;
  containers: Record<string, ContainerRecord>;
  /** what isolated containers may reach of each other (absent: nothing) */
  peerRules?: PeerRules;
  /** where containers may go outside the bridge (absent: anywhere) */
  egress?: EgressRules;
}

const FILE = "network.json";

export function emptyState(firstPort: number): NetworkState {
  return { version: 1, nextPort: firstPort, containers: {} };
}

export async function loadState(stateDir: string, firstPort: number): Promise<NetworkState> {
  let text: string;
  try {
    text = await readFile(join(stateDir, FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState(firstPort);
    throw err;
  }
  const parsed = JSON.parse(text) as NetworkState;
  if (parsed.version !== 1) throw new Error(`${join(stateDir, FILE)}: unknown version ${parsed.version}`);
  return parsed;
}

/**
 * Write-to-temp, rename: a reader (or a restarted process) sees the old or the new file, never
 * half. No fsync: the file describes namespaces, veths and rules that live in the kernel, which a
 * process restart keeps (and the page cache with them) and a machine crash loses anyway — while
 * an fsync per change cost 3–125 ms here under load, more than all the wiring. Synchronous calls
 * (tens of microseconds into the page cache): three trips through libuv's thread pool cost
 * milliseconds each on a busy machine, and a container's network saves the state three times.
 */
export async function saveState(stateDir: string, state: NetworkState): Promise<void> {
  mkdirSync(stateDir, { recursive: true });
  const target = join(stateDir, FILE);
  const temp = `${target}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  try {
    renameSync(temp, target);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

export async function removeState(stateDir: string): Promise<void> {
  await rm(join(stateDir, FILE), { force: true });
}

/** Deep copy, so an operation can prepare the next state and drop it if applying fails. */
export function cloneState(state: NetworkState): NetworkState {
  return structuredClone(state);
}
