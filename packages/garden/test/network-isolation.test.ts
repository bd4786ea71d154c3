import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type CniNetworker, createNetworker, type PeerRules } from "../src/network";
import type { ContainerNetwork } from "../src/seams";
import {
  type IsolatedCell,
  isolatedCell,
  networkPrerequisites,
  nsRun,
  openSession,
  shortRunId,
  startEchoServer,
  type Topology,
  tcpConnect,
} from "./network-helpers";

const missing = networkPrerequisites();

describe.skipIf(missing !== undefined)("isolated containers on one cell bridge", () => {
  const prefix = `gi${shortRunId()}`;
  let cell: IsolatedCell;
  let topo: Topology;
  let net: CniNetworker;
  let a: ContainerNetwork;
  let b: ContainerNetwork;
  let c: ContainerNetwork;

  const aToB = (port: number): PeerRules => ({
    groups: { a: [a.containerIP], b: [b.containerIP] },
    allow: [{ from: "a", to: "b", protocol: "tcp", ports: { start: port, end: port } }],
  });

  beforeAll(async () => {
    cell = await isolatedCell(prefix, "10.253.0.0/24");
    ({ topo, net } = cell);
    a = await net.up(`${prefix}-a`, {});
    b = await net.up(`${prefix}-b`, {});
    c = await net.up(`${prefix}-c`, {});
    for (const port of [7500, 7501]) cell.servers.push(await startEchoServer(b.netnsPath, "0.0.0.0", port));
    cell.servers.push(await startEchoServer(a.netnsPath, "0.0.0.0", 7500));
  });

  afterAll(async () => {
    await cell?.cleanup();
  });

  test("without rules no container reaches another, while NetIn and egress work", async () => {
    await net.setPeerRules({ groups: {}, allow: [] });
    expect(await tcpConnect(a.netnsPath, b.containerIP, 7500, { timeoutMs: 800 })).toEqual({
      ok: false,
      code: "TIMEOUT",
    });
    expect(await tcpConnect(b.netnsPath, a.containerIP, 7500, { timeoutMs: 800 })).toEqual({
      ok: false,
      code: "TIMEOUT",
    });
    const mapping = await net.netIn(b.handle, 0, 7500);
    expect((await tcpConnect(topo.outsideNetns, topo.hostIP, mapping.hostPort)).ok).toBe(true);
    expect((await tcpConnect(topo.hostNetns, b.containerIP, 7500)).ok).toBe(true);
    // a container may still use another's public face (the cell's NetIn port), as the router does
    expect((await tcpConnect(a.netnsPath, topo.hostIP, mapping.hostPort)).ok).toBe(true);
    const outside = await startEchoServer(topo.outsideNetns, "0.0.0.0", 7502);
    cell.servers.push(outside);
    expect((await tcpConnect(a.netnsPath, topo.outsideIP, 7502)).ok).toBe(true);
  });

  test("a rule opens exactly its source, destination, protocol and port, and replies flow back", async () => {
    await net.setPeerRules(aToB(7500));
    expect(await tcpConnect(a.netnsPath, b.containerIP, 7500)).toEqual({ ok: true, data: a.containerIP });
    expect(await tcpConnect(a.netnsPath, b.containerIP, 7501, { timeoutMs: 800 })).toMatchObject({
      ok: false,
    });
    expect(await tcpConnect(b.netnsPath, a.containerIP, 7500, { timeoutMs: 800 })).toMatchObject({
      ok: false,
    });
    expect(await tcpConnect(c.netnsPath, b.containerIP, 7500, { timeoutMs: 800 })).toMatchObject({
      ok: false,
    });
  });

  test("replacing the rules keeps open connections and refuses new ones the new rules do not allow", async () => {
    await net.setPeerRules(aToB(7500));
    const session = await openSession(a.netnsPath, b.containerIP, 7500);
    try {
      await net.setPeerRules(aToB(7501));
      expect(await session.roundTrip("still-open")).toBe("still-open");
      expect(await tcpConnect(a.netnsPath, b.containerIP, 7500, { timeoutMs: 800 })).toMatchObject({
        ok: false,
      });
      expect((await tcpConnect(a.netnsPath, b.containerIP, 7501)).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  test("a container sending from an allowed container's address is dropped at its bridge port", async () => {
    await net.setPeerRules({
      groups: { a: [a.containerIP], b: [b.containerIP] },
      allow: [{ from: "a", to: "b", protocol: "udp", ports: { start: 7600, end: 7600 } }],
    });
    const received = await udpListener(b.netnsPath, 7600);
    try {
      await udpSend(a.netnsPath, a.containerIP, b.containerIP, 7600, "from-a");
      await received.waitFor("from-a");
      // c takes a's address (CAP_NET_RAW could forge it just as well) and sends as a
      await nsRun(c.netnsPath, "ip", ["addr", "add", `${a.containerIP}/32`, "dev", "eth0"]);
      await udpSend(c.netnsPath, a.containerIP, b.containerIP, 7600, "forged");
      await udpSend(a.netnsPath, a.containerIP, b.containerIP, 7600, "after");
      await received.waitFor("after");
      expect(received.lines()).not.toContain("forged");
    } finally {
      await nsRun(c.netnsPath, "ip", ["addr", "del", `${a.containerIP}/32`, "dev", "eth0"]).catch(() => "");
      await received.stop();
    }
  });

  test("the rules survive a restart of the networker", async () => {
    await net.setPeerRules(aToB(7500));
    const again = createNetworker(cell.config);
    await again.restore();
    expect((await tcpConnect(a.netnsPath, b.containerIP, 7500)).ok).toBe(true);
    expect(await tcpConnect(a.netnsPath, b.containerIP, 7501, { timeoutMs: 800 })).toMatchObject({
      ok: false,
    });
  });
});

const UDP_LISTENER = `
const s = require("node:dgram").createSocket("udp4");
s.on("message", (m) => console.log(String(m)));
s.bind(Number(process.argv[1]), () => console.log("listening"));
`;

/** A UDP server inside a netns printing each datagram on a line. */
async function udpListener(netns: string, port: number) {
  const child = execa("nsenter", [`--net=${netns}`, "--", "node", "-e", UDP_LISTENER, String(port)], {
    reject: false,
    buffer: false,
  });
  let out = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const waitFor = (line: string) =>
    eventuallyTrue(() => out.split("\n").includes(line), `no ${JSON.stringify(line)} received`);
  await waitFor("listening");
  return {
    waitFor,
    lines: () => out.split("\n"),
    async stop() {
      child.kill("SIGKILL");
      await child;
    },
  };
}

/** Sends one datagram from `source` (an address of the netns). */
async function udpSend(netns: string, source: string, host: string, port: number, text: string) {
  const script = `const s = require("node:dgram").createSocket("udp4");
s.bind(0, process.argv[1], () => s.send(process.argv[4], Number(process.argv[3]), process.argv[2], () => s.close()));`;
  await nsRun(netns, "node", ["-e", script, source, host, String(port), text]);
}

async function eventuallyTrue(check: () => boolean, message: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
