import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { type CniNetworker, createNetworker, type NetworkerConfig, PortInUse } from "../src/network";
import { vethNameFor } from "../src/network/names";
import {
  createTopology,
  deleteNetnsWithPrefix,
  type EchoServer,
  networkPrerequisites,
  nsRun,
  openSession,
  shortRunId,
  startEchoServer,
  type Topology,
  tcpConnect,
} from "./network-helpers";
import { eventually } from "./support";

const missing = networkPrerequisites();
if (missing !== undefined && process.env.CI === "true") throw new Error(missing);

describe.skipIf(missing !== undefined)("networker, cell host in its own network namespace", () => {
  const prefix = `gn${shortRunId()}`;
  const bridge = `${prefix}br`;
  const gateway = "10.254.0.1";
  let topo: Topology;
  let stateDir: string;
  let config: NetworkerConfig;
  let net: CniNetworker;
  const servers: EchoServer[] = [];
  const handles: string[] = [];

  /** Brings up a container network that afterEach takes down again, whatever the test did. */
  async function up(name: string, opts: { network?: string } = {}) {
    const handle = `${prefix}-${name}`;
    handles.push(handle);
    return net.up(handle, opts);
  }

  async function serve(netns: string, host: string, port: number): Promise<void> {
    servers.push(await startEchoServer(netns, host, port));
  }

  beforeAll(async () => {
    topo = await createTopology(prefix);
    stateDir = await mkdtemp(join(tmpdir(), "grove-net-"));
    config = {
      stateDir,
      bridge,
      subnet: "10.254.0.0/22",
      name: prefix,
      externalIP: topo.hostIP,
      hostNetns: topo.hostNetns,
      log: pino({ level: "silent" }),
    };
    net = createNetworker(config);
  });

  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const h of handles.splice(0)) await net.down(h);
  });

  afterAll(async () => {
    for (const s of servers.splice(0)) await s.stop().catch(() => undefined);
    await net?.destroyAll().catch(() => undefined);
    // Deleting the cell host namespace also takes its bridge and nft tables with it.
    await deleteNetnsWithPrefix(prefix);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test("two containers get distinct addresses in the cell subnet and reach each other", async () => {
    const a = await up("pair-a", {});
    const b = await up("pair-b", {});
    expect(a.containerIP).not.toBe(b.containerIP);
    for (const c of [a, b]) {
      expect(c.containerIP).toMatch(/^10\.254\.[0-3]\.\d+$/);
      expect(c.hostIP).toBe(gateway);
      expect(c.externalIP).toBe(topo.hostIP);
      expect(existsSync(c.netnsPath)).toBe(true);
    }
    await serve(a.netnsPath, "0.0.0.0", 7001);
    expect(await tcpConnect(b.netnsPath, a.containerIP, 7001)).toEqual({ ok: true, data: b.containerIP });
    // up is idempotent per handle
    expect(await up("pair-a", {})).toEqual(a);
  });

  test("a fixed address inside the cell subnet is honoured and one outside it is refused", async () => {
    const fixed = await up("fixed", { network: "10.254.2.77/30" });
    expect(fixed.containerIP).toBe("10.254.2.77");
    const ranged = await up("ranged", { network: "10.254.3.64/30" });
    expect(["10.254.3.65", "10.254.3.66"]).toContain(ranged.containerIP);
    await expect(up("outside", { network: "192.168.0.5/24" })).rejects.toThrow(/outside the cell subnet/);
  });

  test("NetIn reaches the container via the external address from outside, from the cell host and from another container", async () => {
    const web = await up("web", {});
    const peer = await up("peer", {});
    await serve(web.netnsPath, "0.0.0.0", 8080);
    const mapping = await net.netIn(web.handle, 0, 8080);
    expect(mapping.containerPort).toBe(8080);
    expect(mapping.hostPort).toBeGreaterThanOrEqual(61001);
    expect(mapping.hostPort).toBeLessThanOrEqual(65000);

    const fromOutside = await tcpConnect(topo.outsideNetns, topo.hostIP, mapping.hostPort);
    expect(fromOutside).toEqual({ ok: true, data: topo.outsideIP });
    const fromHost = await tcpConnect(topo.hostNetns, topo.hostIP, mapping.hostPort);
    expect(fromHost.ok).toBe(true);
    const fromLoopback = await tcpConnect(topo.hostNetns, "127.0.0.1", mapping.hostPort);
    expect(fromLoopback).toEqual({ ok: true, data: gateway });
    const hairpin = await tcpConnect(peer.netnsPath, topo.hostIP, mapping.hostPort);
    expect(hairpin).toEqual({ ok: true, data: gateway });

    // container port 0 means "the same as the host port"
    const same = await net.netIn(web.handle, 0, 0);
    expect(same.containerPort).toBe(same.hostPort);
    await serve(web.netnsPath, "0.0.0.0", same.hostPort);
    expect((await tcpConnect(topo.outsideNetns, topo.hostIP, same.hostPort)).ok).toBe(true);

    expect((await net.up(web.handle, {})).mappedPorts).toEqual([mapping, same]);
  });

  test("pool host ports are never issued twice and a mapped host port cannot be claimed again", async () => {
    const a = await up("ports-a", {});
    const b = await up("ports-b", {});
    const ports: number[] = [];
    for (let i = 0; i < 10; i++) ports.push((await net.netIn(i % 2 ? a.handle : b.handle, 0, 80)).hostPort);
    expect(new Set(ports).size).toBe(10);
    const explicit = await net.netIn(a.handle, 62500, 81);
    expect(explicit).toEqual({ hostPort: 62500, containerPort: 81 });
    await expect(net.netIn(b.handle, 62500, 81)).rejects.toBeInstanceOf(PortInUse);
    expect(await net.netIn(a.handle, 62500, 81)).toEqual(explicit);
  });

  test("a container cannot reach the cell host's services but reaches the outside, masqueraded", async () => {
    const c = await up("guard", {});
    await serve(topo.hostNetns, "0.0.0.0", 7100);
    await serve(topo.outsideNetns, "0.0.0.0", 7100);
    expect(await tcpConnect(c.netnsPath, gateway, 7100)).toEqual({ ok: false, code: "ECONNREFUSED" });
    expect(await tcpConnect(c.netnsPath, topo.hostIP, 7100)).toEqual({ ok: false, code: "ECONNREFUSED" });
    expect(await tcpConnect(c.netnsPath, topo.outsideIP, 7100)).toEqual({ ok: true, data: topo.hostIP });
    // the host itself still reaches the container (replies are allowed back in)
    await serve(c.netnsPath, "0.0.0.0", 7101);
    expect((await tcpConnect(topo.hostNetns, c.containerIP, 7101)).ok).toBe(true);
  });

  test("a NetOut rule opens exactly the host port it names, for that container only", async () => {
    const allowed = await up("out-a", {});
    const other = await up("out-b", {});
    await serve(topo.hostNetns, "0.0.0.0", 7200);
    await serve(topo.hostNetns, "0.0.0.0", 7201);
    await net.netOut(allowed.handle, [
      { protocol: "tcp", networks: [{ start: gateway, end: gateway }], ports: [{ start: 7200, end: 7200 }] },
    ]);
    expect(await tcpConnect(allowed.netnsPath, gateway, 7200)).toEqual({
      ok: true,
      data: allowed.containerIP,
    });
    expect(await tcpConnect(allowed.netnsPath, gateway, 7201)).toEqual({ ok: false, code: "ECONNREFUSED" });
    expect(await tcpConnect(other.netnsPath, gateway, 7200)).toEqual({ ok: false, code: "ECONNREFUSED" });
  });

  test("a container sending from an address it was not given is dropped at its bridge port", async () => {
    const c = await up("spoof", {});
    await serve(topo.outsideNetns, "0.0.0.0", 7300);
    expect((await tcpConnect(c.netnsPath, topo.outsideIP, 7300)).ok).toBe(true);
    await nsRun(c.netnsPath, "ip", ["addr", "add", "10.254.1.250/22", "dev", "eth0"]);
    await nsRun(c.netnsPath, "ip", ["route", "replace", "default", "via", gateway, "src", "10.254.1.250"]);
    expect(await tcpConnect(c.netnsPath, topo.outsideIP, 7300, { timeoutMs: 1000 })).toEqual({
      ok: false,
      code: "TIMEOUT",
    });
  });

  test("stats count the bytes the container's interface received and sent", async () => {
    const c = await up("stats", {});
    await serve(topo.outsideNetns, "0.0.0.0", 7400);
    const before = await net.stats(c.handle);
    expect((await tcpConnect(c.netnsPath, topo.outsideIP, 7400, { payloadBytes: 200_000 })).ok).toBe(true);
    const after = await net.stats(c.handle);
    expect(after.txBytes - before.txBytes).toBeGreaterThanOrEqual(200_000);
    expect(after.rxBytes).toBeGreaterThan(before.rxBytes);
  });

  test("down removes netns, veth, address lease, rules and ports, and can be repeated", async () => {
    const linksBefore = await hostLinks();
    const c = await up("down", {});
    const mapping = await net.netIn(c.handle, 0, 9000);
    await net.netOut(c.handle, [{ protocol: "all", networks: [{ start: gateway, end: gateway }] }]);
    expect(await hostLinks()).toHaveLength(linksBefore.length + 1);
    expect(await leases()).toContain(c.containerIP);
    expect(await hostRuleset()).toContain(`${mapping.hostPort}`);

    await net.down(c.handle);
    expect(existsSync(c.netnsPath)).toBe(false);
    // the veth pair is deleted in the background (cut off the bridge at once)
    await eventually(
      async () => JSON.stringify(await hostLinks()) === JSON.stringify(linksBefore),
      10_000,
      "the veth deleted",
    );
    expect(await leases()).not.toContain(c.containerIP);
    const rules = await hostRuleset();
    expect(rules).not.toContain(c.containerIP);
    expect(rules).not.toContain(`${mapping.hostPort}`);
    await net.down(c.handle);
    await expect(net.netIn(c.handle, 0, 9000)).rejects.toMatchObject({ wireType: "ContainerNotFoundError" });
  });

  test("a change nft refuses as a delta (tables changed behind the networker's back) is applied whole", async () => {
    const a = await up("drift-a", {});
    // someone removes a container's anti-spoofing binding: the next delta's deletion of it fails
    await nsRun(topo.hostNetns, "nft", [
      "delete",
      "element",
      "bridge",
      prefix,
      "bindings",
      `{ "${vethNameFor(prefix, a.handle)}" . ${a.containerIP} }`,
    ]);
    await net.down(a.handle);
    expect(await hostRuleset()).not.toContain(vethNameFor(prefix, a.handle));
    // and the changes after it are deltas again, from what the kernel now holds
    const b = await up("drift-b", {});
    expect(await hostRuleset()).toContain(`"${vethNameFor(prefix, b.handle)}" . ${b.containerIP}`);
  });

  test("a new networker on the same state dir restores allocations without disturbing running containers", async () => {
    const kept = await up("kept", {});
    const mapping = await net.netIn(kept.handle, 0, 8081);
    await serve(kept.netnsPath, "0.0.0.0", 8081);

    const restarted = createNetworker(config);
    const restored = await restarted.restore();
    net = restarted;
    expect(restored).toEqual([{ ...kept, mappedPorts: [mapping] }]);
    expect(await tcpConnect(topo.outsideNetns, topo.hostIP, mapping.hostPort)).toEqual({
      ok: true,
      data: topo.outsideIP,
    });

    const fresh = await up("fresh");
    expect(fresh.containerIP).not.toBe(kept.containerIP);
    expect((await restarted.netIn(fresh.handle, 0, 80)).hostPort).not.toBe(mapping.hostPort);
  });

  test("an established NetIn connection survives other containers' changes and a restore", async () => {
    const web = await up("live");
    await serve(web.netnsPath, "0.0.0.0", 8082);
    const mapping = await net.netIn(web.handle, 0, 8082);
    const session = await openSession(topo.outsideNetns, topo.hostIP, mapping.hostPort);
    try {
      expect(await session.roundTrip("first")).toBe("first");
      const other = await up("live-other");
      await net.netIn(other.handle, 0, 80);
      await net.netOut(other.handle, [{ protocol: "all" }]);
      expect(await session.roundTrip("after-changes")).toBe("after-changes");
      await net.down(other.handle);
      net = createNetworker(config);
      await net.restore();
      expect(await session.roundTrip("after-restore")).toBe("after-restore");
    } finally {
      await session.close();
    }
  });

  test("concurrent ups are serialized and each gets its own address", async () => {
    const nets = await Promise.all(["c1", "c2", "c3", "c4", "c5"].map((n) => up(n)));
    expect(new Set(nets.map((n) => n.containerIP)).size).toBe(5);
    expect(new Set(nets.map((n) => n.netnsPath)).size).toBe(5);
  });

  test("ICMP to the cell host is rejected until a NetOut icmp rule accepts it", async () => {
    const c = await up("icmp");
    const ping = () =>
      execa("nsenter", [`--net=${c.netnsPath}`, "--", "busybox", "ping", "-c", "1", "-W", "1", gateway], {
        reject: false,
      });
    expect((await ping()).exitCode).not.toBe(0);
    await net.netOut(c.handle, [
      { protocol: "udp", ports: [{ start: 53, end: 53 }], log: true },
      { protocol: "icmp", networks: [{ start: gateway, end: gateway }], icmps: { type: 8, code: 0 } },
    ]);
    expect((await ping()).exitCode).toBe(0);
  });

  test("restore finishes cleaning up a network whose up() never returned", async () => {
    const half = await up("half");
    const file = join(stateDir, "network.json");
    const saved = JSON.parse(await readFile(file, "utf8"));
    saved.containers[half.handle].status = "creating";
    await writeFile(file, JSON.stringify(saved));

    const restarted = createNetworker(config);
    net = restarted;
    const restored = await restarted.restore();
    expect(restored.map((n) => n.handle)).not.toContain(half.handle);
    expect(existsSync(half.netnsPath)).toBe(false);
    expect(await leases()).not.toContain(half.containerIP);
    // the address is free again
    expect((await up("half-again", { network: `${half.containerIP}/32` })).containerIP).toBe(
      half.containerIP,
    );
  });

  test("destroyAll leaves no bridge, nft table, netns, lease or state file behind", async () => {
    const c = await up("last");
    await net.netIn(c.handle, 0, 80);
    await net.destroyAll();
    handles.splice(0);
    expect(existsSync(c.netnsPath)).toBe(false);
    expect(await hostLinks()).toEqual([]);
    const links = await nsRun(topo.hostNetns, "ip", ["-o", "link", "show"]);
    expect(links).not.toContain(bridge);
    expect(await hostRuleset()).toBe("");
    expect(await leases()).toEqual([]);
    expect(existsSync(join(stateDir, "network.json"))).toBe(false);
  });

  async function hostLinks(): Promise<string[]> {
    const out = await nsRun(topo.hostNetns, "ip", ["-o", "link", "show"]);
    return out
      .split("\n")
      .filter((l) => l.includes("veth"))
      .sort();
  }

  async function hostRuleset(): Promise<string> {
    return nsRun(topo.hostNetns, "nft", ["list", "ruleset"]);
  }

  /** The addresses the saved state holds for containers. */
  async function leases(): Promise<string[]> {
    const file = join(stateDir, "network.json");
    if (!existsSync(file)) return [];
    const saved = JSON.parse(await readFile(file, "utf8")) as {
      containers: Record<string, { containerIP?: string }>;
    };
    return Object.values(saved.containers).flatMap((c) => (c.containerIP ? [c.containerIP] : []));
  }
});
