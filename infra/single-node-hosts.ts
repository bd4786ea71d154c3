/**
 * `npm start -- --cells N`: N cell "hosts" on this machine, each a network namespace with its own
 * address on one private L2 (a bridge in this machine's namespace, so the router and the api reach
 * the cells as they would on a real network), the same way the tests make netns hosts. Nothing is
 * routed beyond the bridge; `remove()` deletes the namespaces and the bridge.
 */
import { runChild, tryChild } from "@grove/child";

export interface CellHost {
  /** network namespace name; its path is `/run/netns/<name>` */
  name: string;
  netnsPath: string;
  /** the host's address on the hosts' network: the cell's address */
  address: string;
}

export interface CellHosts {
  bridge: string;
  /** the bridge's own address: this machine, as the hosts see it */
  gateway: string;
  hosts: CellHost[];
  remove(): Promise<void>;
}

/** `10.253.0.0/24` → hosts at .2, .3, …; the bridge at .1 */
export async function createCellHosts(options: {
  prefix: string;
  count: number;
  subnet: string;
}): Promise<CellHosts> {
  const [network, length] = options.subnet.split("/");
  if (length !== "24" || !network?.endsWith(".0")) {
    throw new Error(`GROVE_HOSTS_SUBNET must be a /24 such as 10.253.0.0/24, not ${options.subnet}`);
  }
  const base = network.slice(0, -2);
  const bridge = `${options.prefix}h`.slice(0, 15);
  const hosts: CellHost[] = [];
  const ip = (args: string[]) => runChild("ip", args, { hint: "The cell hosts need iproute2 and root." });
  const remove = async () => {
    for (const host of hosts.splice(0)) await tryChild("ip", ["netns", "del", host.name]);
    await tryChild("ip", ["link", "del", bridge]);
  };
  // a previous run stopped hard: start from nothing
  for (let i = 1; i <= options.count; i++) await tryChild("ip", ["netns", "del", `${options.prefix}-c${i}`]);
  await tryChild("ip", ["link", "del", bridge]);
  try {
    await ip(["link", "add", bridge, "type", "bridge"]);
    await ip(["addr", "add", `${base}.1/24`, "dev", bridge]);
    await ip(["link", "set", bridge, "up"]);
    for (let i = 1; i <= options.count; i++) {
      const name = `${options.prefix}-c${i}`;
      const port = `${options.prefix}p${i}`.slice(0, 15);
      const address = `${base}.${i + 1}`;
      hosts.push({ name, netnsPath: `/run/netns/${name}`, address });
      await ip(["netns", "add", name]);
      await ip(["link", "add", "eth0", "netns", name, "type", "veth", "peer", "name", port]);
      await ip(["link", "set", port, "master", bridge, "up"]);
      await ip(["-n", name, "addr", "add", `${address}/24`, "dev", "eth0"]);
      await ip(["-n", name, "link", "set", "eth0", "up"]);
      await ip(["-n", name, "link", "set", "lo", "up"]);
    }
  } catch (error) {
    await remove();
    throw error;
  }
  return { bridge, gateway: `${base}.1`, hosts, remove };
}
