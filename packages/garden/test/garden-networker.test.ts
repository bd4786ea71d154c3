import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGarden, type Garden } from "../src/index";
import { createNetworker, type NetworkerConfig } from "../src/network";
import {
  createTopology,
  deleteNetnsWithPrefix,
  networkPrerequisites,
  shortRunId,
  type Topology,
} from "./network-helpers";
import { type GardenFixture, gardenFixture, runtimeAvailable, sh } from "./support";

const networkReady = networkPrerequisites() === undefined;

describe.runIf(runtimeAvailable && networkReady)("garden with the CNI networker", () => {
  const prefix = `gw${shortRunId()}`;
  let fixture: GardenFixture;
  let topology: Topology;
  let networkConfig: NetworkerConfig;
  let stateDir: string;
  let garden: Garden;
  const opened: Garden[] = [];

  async function openGarden(): Promise<Garden> {
    const opened_ = await createGarden(fixture.config, {
      volumizer: fixture.images,
      networker: createNetworker(networkConfig),
    });
    opened.push(opened_);
    return opened_;
  }

  beforeAll(async () => {
    fixture = await gardenFixture();
    await fixture.garden.close();
    topology = await createTopology(prefix);
    stateDir = await mkdtemp(join(tmpdir(), "gw-net-"));
    networkConfig = {
      stateDir,
      bridge: `${prefix}br`,
      subnet: "10.253.0.0/24",
      name: prefix,
      externalIP: topology.hostIP,
      hostNetns: topology.hostNetns,
      log: pino({ level: "silent" }),
    };
    garden = await openGarden();
  });
  afterAll(async () => {
    for (const container of (await garden?.containers({}, { includeIncomplete: true }).catch(() => [])) ??
      []) {
      await garden.destroy(container.handle).catch(() => {});
    }
    for (const each of opened) await each.close().catch(() => {});
    await fixture?.cleanup();
    await createNetworker(networkConfig)
      .destroyAll()
      .catch(() => {});
    await deleteNetnsWithPrefix(prefix);
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it("puts containers in the networker's namespaces, reachable from each other, and restores after a restart", async () => {
    const a = await garden.create({ handle: "net-a" });
    const b = await garden.create({ handle: "net-b", netIn: [{ hostPort: 0, containerPort: 8080 }] });
    const infoA = await a.info();
    const infoB = await b.info();
    expect(infoA.containerIP).toMatch(/^10\.253\.0\.\d+$/);
    expect(infoA.hostIP).toBe("10.253.0.1");
    expect(infoA.externalIP).toBe(topology.hostIP);
    expect((await sh(a, "ip -4 addr")).stdout).toContain(infoA.containerIP);
    await b.run({
      path: "sh",
      args: ["-c", "mkdir -p /www && echo hello-b > /www/index.html && httpd -f -p 8080 -h /www"],
    });
    const fetched = await sh(
      a,
      `for i in 1 2 3 4 5 6 7 8 9 10; do printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 ${infoB.containerIP} 8080 | tail -1 | grep . && break; sleep 0.2; done`,
    );
    // a raw HTTP request with nc: the check depends on nothing but the network
    expect(fetched.stdout).toBe("hello-b\n");

    const mapping = await b.netIn(0, 9090);
    expect(mapping.containerPort).toBe(9090);
    expect((await b.info()).mappedPorts).toContainEqual(mapping);

    const restarted = await openGarden();
    expect((await (await restarted.lookup("net-a")).info()).containerIP).toBe(infoA.containerIP);
  });

  it("destroy takes the container's network namespace down", async () => {
    const container = await garden.create({ handle: "net-gone" });
    const state = JSON.parse(
      await (await import("node:fs/promises")).readFile(
        join(fixture.config.depotDir, "net-gone/container.json"),
        "utf8",
      ),
    ) as { network: { netnsPath: string } };
    await access(state.network.netnsPath);
    await garden.destroy(container.handle);
    await expect(access(state.network.netnsPath)).rejects.toThrow();
  });

  it("gives containers no raw sockets: ping fails while TCP works", async () => {
    const pinger = await garden.create({ handle: "raw-a" });
    const server = await garden.create({ handle: "raw-b" });
    const serverIP = (await server.info()).containerIP;
    const capEff = (await sh(pinger, "grep CapEff /proc/self/status")).stdout.split(/\s+/)[1] ?? "";
    // bit 13 is CAP_NET_RAW
    expect((BigInt(`0x${capEff}`) >> 13n) & 1n).toBe(0n);
    const ping = await sh(pinger, `ping -c 1 -W 1 ${serverIP}; echo "exit=$?"`);
    expect(ping.stdout).toContain("exit=1");
    await server.run({ path: "sh", args: ["-c", "echo tcp-ok | nc -l -p 8081"] });
    const fetched = await sh(
      pinger,
      `for i in 1 2 3 4 5 6 7 8 9 10; do nc -w 1 ${serverIP} 8081 </dev/null | grep . && break; sleep 0.2; done`,
    );
    expect(fetched.stdout).toBe("tcp-ok\n");
  });
});
