import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { CniNetworker, EgressRules, NetworkPolicy } from "../src/network";
import type { ContainerNetwork } from "../src/seams";
import {
  type IsolatedCell,
  isolatedCell,
  networkPrerequisites,
  openSession,
  shortRunId,
  startEchoServer,
  type Topology,
  tcpConnect,
} from "./network-helpers";

const missing = networkPrerequisites();
const refused = { timeoutMs: 800 };

describe.skipIf(missing !== undefined)("egress of isolated containers, and cut flows", () => {
  const prefix = `ge${shortRunId()}`;
  let cell: IsolatedCell;
  let topo: Topology;
  let net: CniNetworker;
  let a: ContainerNetwork;
  let b: ContainerNetwork;

  /** tenant "t" is container a; the outside namespace runs the "internet", DNS and a control plane */
  const egress = (allow: EgressRules["allow"]): EgressRules => ({
    groups: { t: [a.containerIP] },
    allow,
    resolvers: [topo.outsideIP],
    controlPlane: [{ network: topo.outsideIP, ports: { start: 4222, end: 4222 } }],
  });
  const policy = (allow: EgressRules["allow"]): NetworkPolicy => ({
    peers: { groups: {}, allow: [] },
    egress: egress(allow),
  });

  beforeAll(async () => {
    cell = await isolatedCell(prefix, "10.252.0.0/24");
    ({ topo, net } = cell);
    a = await net.up(`${prefix}-a`, {});
    b = await net.up(`${prefix}-b`, {});
    for (const port of [53, 4222, 7700, 7701]) {
      cell.servers.push(await startEchoServer(topo.outsideNetns, "0.0.0.0", port));
    }
    cell.servers.push(await startEchoServer(b.netnsPath, "0.0.0.0", 7800));
  }, 60_000);

  afterAll(async () => {
    await cell?.cleanup();
  });

  test("a container reaches DNS and what its tenant's rules allow, nothing else", async () => {
    await net.setPolicy(
      policy([{ from: "t", to: `${topo.outsideIP}/32`, protocol: "tcp", ports: { start: 7700, end: 7700 } }]),
    );
    expect((await tcpConnect(a.netnsPath, topo.outsideIP, 7700)).ok).toBe(true);
    expect(await tcpConnect(a.netnsPath, topo.outsideIP, 7701, refused)).toMatchObject({ ok: false });
    expect(await tcpConnect(b.netnsPath, topo.outsideIP, 7700, refused)).toMatchObject({ ok: false });
    expect((await tcpConnect(a.netnsPath, topo.outsideIP, 53)).ok).toBe(true);
    expect((await tcpConnect(b.netnsPath, topo.outsideIP, 53)).ok).toBe(true);
  });

  test("the control plane is refused even under an allow-all, unless an operator exception names it", async () => {
    await net.setPolicy(policy([{ to: "0.0.0.0/0", protocol: "all" }]));
    expect((await tcpConnect(a.netnsPath, topo.outsideIP, 7701)).ok).toBe(true);
    expect(await tcpConnect(a.netnsPath, topo.outsideIP, 4222, refused)).toMatchObject({ ok: false });
    // the cell's own address is the host's: refused as before
    expect(await tcpConnect(a.netnsPath, topo.hostIP, 4222, refused)).toMatchObject({ ok: false });
    await net.setPolicy(
      policy([
        { to: "0.0.0.0/0", protocol: "all" },
        { to: topo.outsideIP, protocol: "tcp", ports: { start: 4222, end: 4222 }, controlPlane: true },
      ]),
    );
    expect((await tcpConnect(a.netnsPath, topo.outsideIP, 4222)).ok).toBe(true);
  });

  test("removing the egress rule cuts an open connection it allowed", async () => {
    const allow7700 = {
      from: "t",
      to: topo.outsideIP,
      protocol: "tcp" as const,
      ports: { start: 7700, end: 7700 },
    };
    await net.setPolicy(policy([allow7700]));
    const session = await openSession(a.netnsPath, topo.outsideIP, 7700);
    try {
      expect(await session.roundTrip("before")).toBe("before");
      const { flowsCut } = await net.setPolicy(policy([]));
      expect(flowsCut).toBeGreaterThanOrEqual(1);
      await expect(session.roundTrip("after", 1500)).rejects.toThrow(/within/);
    } finally {
      await session.close();
    }
  });

  test("removing a peer rule cuts an open connection between two containers, keeping the others", async () => {
    const peers = (ports: number[]) => ({
      groups: { a: [a.containerIP], b: [b.containerIP] },
      allow: ports.map((p) => ({
        from: "a",
        to: "b",
        protocol: "tcp" as const,
        ports: { start: p, end: p },
      })),
    });
    await net.setPolicy({ peers: peers([7800]), egress: egress([]) });
    const session = await openSession(a.netnsPath, b.containerIP, 7800);
    try {
      expect(await session.roundTrip("open")).toBe("open");
      // an unrelated change keeps it
      await net.setPolicy({ peers: peers([7800, 7801]), egress: egress([]) });
      expect(await session.roundTrip("kept")).toBe("kept");
      const started = performance.now();
      const { flowsCut } = await net.setPolicy({ peers: peers([7801]), egress: egress([]) });
      const tookMs = performance.now() - started;
      expect(flowsCut).toBe(1);
      expect(tookMs).toBeLessThan(2_000);
      await expect(session.roundTrip("cut", 1500)).rejects.toThrow(/within/);
    } finally {
      await session.close();
    }
  });
});
