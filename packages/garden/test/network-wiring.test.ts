import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type CniNetworker, createNetworker, type NetworkerConfig } from "../src/network";
import {
  createTopology,
  deleteNetnsWithPrefix,
  networkPrerequisites,
  nsRun,
  shortRunId,
  type Topology,
} from "./network-helpers";
import { eventually } from "./support";

const missing = networkPrerequisites();

interface Link {
  ifname: string;
  mtu: number;
  master?: string;
  operstate: string;
  addr_info?: { local: string; prefixlen: number }[];
}

// How the networker wires a container (grove-net over rtnetlink): what the kernel shows afterwards.
describe.skipIf(missing !== undefined)("container network wiring", () => {
  const prefix = `gw${shortRunId()}`;
  const bridge = `${prefix}br`;
  let topo: Topology;
  let stateDir: string;
  let config: NetworkerConfig;
  let net: CniNetworker;
  const handles: string[] = [];

  beforeAll(async () => {
    topo = await createTopology(prefix);
    stateDir = await mkdtemp(join(tmpdir(), "grove-wiring-"));
    config = {
      stateDir,
      bridge,
      subnet: "10.96.3.0/24",
      name: prefix,
      externalIP: topo.hostIP,
      hostNetns: topo.hostNetns,
      // vxlan between cells: containers get the underlay's MTU less VXLAN's 50 bytes
      overlay: { cidr: "10.96.0.0/16", mode: "vxlan" },
      log: pino({ level: "silent" }),
    };
    net = createNetworker(config);
  });

  afterEach(async () => {
    for (const h of handles.splice(0)) await net.down(h);
  });

  afterAll(async () => {
    await net?.destroyAll().catch(() => undefined);
    await deleteNetnsWithPrefix(prefix);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  async function up(name: string, opts: { network?: string; netnsPath?: string } = {}) {
    const handle = `${prefix}-${name}`;
    handles.push(handle);
    return net.up(handle, opts);
  }

  async function links(netns: string): Promise<Link[]> {
    return JSON.parse(await nsRun(netns, "ip", ["-j", "addr", "show"])) as Link[];
  }

  async function hostVeths(): Promise<Link[]> {
    return (await links(topo.hostNetns)).filter((l) => l.master === bridge);
  }

  async function savedVeth(handle: string): Promise<string> {
    const saved = JSON.parse(await readFile(join(stateDir, "network.json"), "utf8"));
    return saved.containers[handle].hostVeth as string;
  }

  test("eth0 has the address with the cell prefix, the overlay MTU and a default route via the gateway", async () => {
    const c = await up("shape");
    const eth0 = (await links(c.netnsPath)).find((l) => l.ifname === "eth0");
    expect(eth0?.addr_info).toEqual([expect.objectContaining({ local: c.containerIP, prefixlen: 24 })]);
    expect(eth0?.mtu).toBe(1450);
    expect(eth0?.operstate).toBe("UP");
    const lo = (await links(c.netnsPath)).find((l) => l.ifname === "lo");
    expect(lo?.addr_info?.map((a) => a.local)).toEqual(["127.0.0.1"]);
    expect(await nsRun(c.netnsPath, "ip", ["-4", "route", "show", "default"])).toMatch(
      /^default via 10\.96\.3\.1 dev eth0/,
    );
    expect(await nsRun(c.netnsPath, "sysctl", ["-n", "net.ipv6.conf.all.disable_ipv6"])).toBe("1");
    const veth = await savedVeth(c.handle);
    const host = (await hostVeths()).find((l) => l.ifname === veth);
    expect(host?.mtu).toBe(1450);
    expect(host?.operstate).toBe("UP");
    const br = (await links(topo.hostNetns)).find((l) => l.ifname === bridge);
    expect(br?.mtu).toBe(1450);
    expect(br?.addr_info?.map((a) => `${a.local}/${a.prefixlen}`)).toContain("10.96.3.1/24");
  });

  test("the bridge keeps its own fixed MAC address while containers come and go", async () => {
    const macOf = async () =>
      (
        JSON.parse(await nsRun(topo.hostNetns, "ip", ["-j", "link", "show", "dev", bridge])) as {
          address: string;
        }[]
      )[0]?.address;
    const first = await up("mac-a");
    const second = await up("mac-b");
    expect(await macOf()).toBe("02:67:0a:60:03:01");
    for (const c of [first, second]) await net.down(c.handle);
    await eventually(async () => (await hostVeths()).length === 0 || undefined, 10_000, "the veths deleted");
    expect(await macOf()).toBe("02:67:0a:60:03:01");
  });

  test("an adopted namespace is named, not replaced, and outlives down", async () => {
    const own = `${prefix}adopt`;
    await execa("ip", ["netns", "add", own]);
    try {
      const c = await up("adopted", { netnsPath: `/run/netns/${own}` });
      expect(statSync(c.netnsPath).ino).toBe(statSync(`/run/netns/${own}`).ino);
      const eth0 = (await links(`/run/netns/${own}`)).find((l) => l.ifname === "eth0");
      expect(eth0?.addr_info?.[0]?.local).toBe(c.containerIP);
      await net.down(c.handle);
      expect(existsSync(c.netnsPath)).toBe(false);
      expect(existsSync(`/run/netns/${own}`)).toBe(true);
      await eventually(
        async () => !(await links(`/run/netns/${own}`)).some((l) => l.ifname === "eth0"),
        10_000,
        "eth0 gone from the adopted namespace",
      );
    } finally {
      await execa("ip", ["netns", "delete", own], { reject: false });
    }
  });

  test("down cuts the veth off the bridge at once and deletes the pair soon after", async () => {
    const c = await up("gone");
    const veth = await savedVeth(c.handle);
    expect((await hostVeths()).map((l) => l.ifname)).toContain(veth);
    await net.down(c.handle);
    expect(existsSync(c.netnsPath)).toBe(false);
    const port = await nsRun(topo.hostNetns, "bridge", ["-j", "link", "show", "dev", veth]).catch(() => "[]");
    for (const p of JSON.parse(port || "[]") as { state: string }[]) expect(p.state).toBe("disabled");
    await eventually(
      async () => !(await links(topo.hostNetns)).some((l) => l.ifname === veth),
      10_000,
      "the veth deleted",
    );
  });

  test("an up that fails midway leaves no veth, netns, address or record", async () => {
    // a device of the bridge's name that is no bridge: the veth cannot be put on it
    const other = {
      ...config,
      name: `${prefix}x`,
      bridge: `${prefix}dm`,
      subnet: "10.96.4.0/24",
      stateDir: join(stateDir, "other"),
    };
    await nsRun(topo.hostNetns, "ip", [
      "link",
      "add",
      other.bridge,
      "type",
      "veth",
      "peer",
      "name",
      `${prefix}dp`,
    ]);
    const broken = createNetworker(other);
    try {
      const handle = `${prefix}-broken`;
      const linksBefore = (await links(topo.hostNetns)).map((l) => l.ifname).sort();
      await expect(broken.up(handle, {})).rejects.toThrow(/create the veth pair/);
      expect(netnsNamed(`${other.name}-`)).toEqual([]);
      await eventually(
        async () =>
          JSON.stringify((await links(topo.hostNetns)).map((l) => l.ifname).sort()) ===
          JSON.stringify(linksBefore),
        10_000,
        "no veth left",
      );
      const saved = JSON.parse(await readFile(join(other.stateDir, "network.json"), "utf8"));
      expect(saved.containers).toEqual({});
      // the address it had picked is free again
      await nsRun(topo.hostNetns, "ip", ["link", "delete", other.bridge]);
      const again = await broken.up(handle, { network: "10.96.4.2/32" });
      expect(again.containerIP).toBe("10.96.4.2");
      await broken.down(handle);
    } finally {
      await broken.destroyAll().catch(() => undefined);
      await nsRun(topo.hostNetns, "ip", ["link", "delete", other.bridge]).catch(() => undefined);
    }
  });
});

function netnsNamed(prefix: string): string[] {
  return existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => n.startsWith(prefix)) : [];
}
