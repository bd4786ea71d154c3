import { randomInt } from "node:crypto";
import { execa } from "execa";
import { uniqueName } from "./run-id";

export interface TestHost {
  /** network namespace name; its path is `/run/netns/<name>` */
  name: string;
  netnsPath: string;
  /** the host's address on its test network, e.g. 10.213.7.2 */
  address: string;
  /** prefix length of the test network */
  prefixLength: number;
  /** the host's interface on the test network */
  interfaceName: string;
  /** runs a command inside the host's network namespace (nsenter, so cgroups and /sys stay the host's) */
  exec(file: string, args?: string[]): ReturnType<typeof inNetns>;
}

export interface TestNetwork {
  /** the namespace holding the network's bridge, reachable only through the hosts' veths */
  switchName: string;
  /** e.g. "10.213.7" — hosts get .2, .3, … */
  subnetPrefix: string;
  addHost(): Promise<TestHost>;
  remove(): Promise<void>;
}

/**
 * A private L2 network of "hosts" for tests: a bridge inside its own network namespace, and one
 * namespace per host wired to it by a veth pair. Nothing is created in the root namespace, so the
 * hosts reach each other and nothing else. Names carry the run id; `remove()` deletes them all.
 */
export async function createTestNetwork(): Promise<TestNetwork> {
  const switchName = uniqueName("gsw");
  // hosts' addresses come from 10.150–198: container subnets (cells, leases) use 10.200–249, and an
  // agent refuses a host address inside its container subnet
  const subnetPrefix = `10.${randomInt(150, 199)}.${randomInt(0, 256)}`;
  const hosts: string[] = [];
  await ip(["netns", "add", switchName]);
  try {
    await ip(["-n", switchName, "link", "set", "lo", "up"]);
    await ip(["-n", switchName, "link", "add", "br0", "type", "bridge"]);
    await ip(["-n", switchName, "link", "set", "br0", "up"]);
  } catch (error) {
    await ip(["netns", "del", switchName]).catch(() => {});
    throw error;
  }
  return {
    switchName,
    subnetPrefix,
    async addHost() {
      const name = uniqueName("gh");
      const index = hosts.length + 2;
      const port = `p${index}`;
      hosts.push(name);
      await ip(["netns", "add", name]);
      await ip([
        "link",
        "add",
        "eth0",
        "netns",
        name,
        "type",
        "veth",
        "peer",
        "name",
        port,
        "netns",
        switchName,
      ]);
      await ip(["-n", switchName, "link", "set", port, "master", "br0", "up"]);
      const address = `${subnetPrefix}.${index}`;
      await ip(["-n", name, "addr", "add", `${address}/24`, "dev", "eth0"]);
      await ip(["-n", name, "link", "set", "eth0", "up"]);
      await ip(["-n", name, "link", "set", "lo", "up"]);
      const netnsPath = `/run/netns/${name}`;
      return {
        name,
        netnsPath,
        address,
        prefixLength: 24,
        interfaceName: "eth0",
        exec: (file, args = [], options = {}) =>
          execa("nsenter", [`--net=${netnsPath}`, file, ...args], options),
      };
    },
    async remove() {
      const names = [...hosts.splice(0), switchName];
      const results = await Promise.allSettled(names.map((name) => deleteNetns(name)));
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    },
  };
}

/** Runs `file args` with nsenter in the network namespace at `netnsPath`. */
export function inNetns(netnsPath: string, file: string, args: string[] = []) {
  return execa("nsenter", [`--net=${netnsPath}`, file, ...args]);
}

async function deleteNetns(name: string): Promise<void> {
  const { stdout } = await execa("ip", ["netns", "list"]);
  if (!stdout.split("\n").some((line) => line.split(" ")[0] === name)) return;
  await ip(["netns", "del", name]);
}

async function ip(args: string[]): Promise<void> {
  await execa("ip", args);
}
