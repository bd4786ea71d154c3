import { describeWith, it } from "@grove/testkit";
import { execa } from "execa";
import { expect } from "vitest";
import type { CellProcess } from "../cell-process";
import { type Cluster, eventually, expectStatus, type InstanceView, startCluster } from "../cluster-harness";
import { getFrom, instanceNetns, udpListener, udpSend } from "./netns-probe";

type Placed = InstanceView & { container_ip: string; cell: { id: string; name: string } };

/** The app's RUNNING instances, one per cell (the scheduler spreads an app's instances). */
async function onEachCell(c: Cluster, tenant: string, app: string): Promise<Map<string, Placed>> {
  const instances = (await c.tenant(tenant).running(app, c.cells.length, 120_000)) as Placed[];
  const byCell = new Map(instances.map((i) => [i.cell.name, i]));
  if (byCell.size !== c.cells.length || instances.some((i) => !i.container_ip))
    throw new Error(
      `${tenant}/${app} is not spread over the cells with addresses: ${JSON.stringify(instances)}`,
    );
  return byCell;
}

function at(placed: Map<string, Placed>, cell: CellProcess | undefined): Placed {
  const instance = cell && placed.get(cell.name);
  if (!instance) throw new Error(`no instance on ${cell?.name}`);
  return instance;
}

async function netnsOf(c: Cluster, instance: Placed): Promise<string> {
  const cell = c.cells.find((x) => x.name === instance.cell.name);
  if (!cell) throw new Error(`no cell ${instance.cell.name}`);
  return instanceNetns(cell, instance.id);
}

/** Grove's routes (protocol 199) in a cell host's routing table, by destination. */
async function groveRoutes(cell: CellProcess | undefined): Promise<string[]> {
  if (!cell?.host) throw new Error("cell without a netns host");
  const { stdout } = await execa("ip", ["-n", cell.host.name, "-j", "-4", "route", "show", "proto", "199"]);
  return (JSON.parse(stdout || "[]") as { dst: string }[]).map((r) => r.dst).sort();
}

/** Where a cell host's VXLAN device sends frames: the underlay addresses of its static FDB entries. */
async function fdbDestinations(cell: CellProcess | undefined): Promise<string[]> {
  if (!cell?.host) throw new Error("cell without a netns host");
  const { stdout: links } = await execa("ip", ["-n", cell.host.name, "-j", "link", "show", "type", "vxlan"]);
  const device = (JSON.parse(links || "[]") as { ifname: string }[])[0]?.ifname;
  if (!device) return [];
  const { stdout } = await execa("bridge", ["-n", cell.host.name, "-j", "fdb", "show", "dev", device]);
  return (JSON.parse(stdout || "[]") as { dst?: string }[]).flatMap((f) => (f.dst ? [f.dst] : [])).sort();
}

async function cellInfo(c: Cluster, cell: CellProcess | undefined) {
  const { items } = (await expectStatus(await c.t.call("/v1/cells"), 200)) as {
    items: { id: string; name: string; subnet_lease: { subnet: string } | null }[];
  };
  const found = items.find((x) => x.name === cell?.name);
  if (!found?.subnet_lease) throw new Error(`cell ${cell?.name} has no lease`);
  return { id: found.id, subnet: found.subnet_lease.subnet };
}

const refused = { ok: false, code: "TIMEOUT" };

/** An HTTP server on a cell's host (not a container) answering "outside". */
async function hostServer(cell: CellProcess | undefined, port: number) {
  if (!cell?.host) throw new Error("cell without a netns host");
  const child = execa(
    "nsenter",
    [
      `--net=${cell.host.netnsPath}`,
      "--",
      "node",
      "-e",
      `require("node:http").createServer((q, s) => s.end("outside")).listen(${port}, () => console.log("listening"))`,
    ],
    { reject: false, buffer: false },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("host server did not start")), 10_000);
    child.stdout?.once("data", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return {
    async stop() {
      child.kill("SIGKILL");
      await child;
    },
  };
}

/** Resolves with how long it took until `check` held (polling), or throws after `timeoutMs`. */
async function timeUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  await eventually(async () => ((await check()) ? true : undefined), timeoutMs);
  return performance.now() - started;
}

describeWith(
  ["root", "runc", "postgres", "nats", "network"],
  "container networking across cells on separate hosts",
  () => {
    it("containers reach other cells' containers by address only where a policy allows, forged sources are dropped, and routes follow cells joining and leaving", async ({
      pg,
      nats,
    }) => {
      const c = await startCluster(pg, nats, { cellCount: 2, netnsHosts: true });
      const [one, two] = c.cells;
      await c.t.tenantWithToken("alpha");
      await c.t.tenantWithToken("beta");
      for (const [tenant, app] of [
        ["alpha", "a"],
        ["alpha", "a2"],
        ["beta", "b"],
      ] as const)
        await c.tenant(tenant).pushWeb(app, 2);
      const a = await onEachCell(c, "alpha", "a");
      const a2 = await onEachCell(c, "alpha", "a2");
      const b = await onEachCell(c, "beta", "b");
      const leases = [await cellInfo(c, one), await cellInfo(c, two)];
      expect(leases[0]?.subnet).not.toBe(leases[1]?.subnet);
      for (const instance of [...a.values(), ...a2.values(), ...b.values()]) {
        const lease = instance.cell.name === one?.name ? leases[0] : leases[1];
        expect(instance.container_ip.split(".").slice(0, 3)).toEqual(lease?.subnet.split(".").slice(0, 3));
      }
      // each cell routes the other's subnet via the other host
      expect(await groveRoutes(one)).toEqual([leases[1]?.subnet]);
      expect(await groveRoutes(two)).toEqual([leases[0]?.subnet]);

      const a1 = at(a, one);
      const fromA1 = await netnsOf(c, a1);
      const a2Far = at(a2, two);
      const a2Near = at(a2, one);
      const bFar = at(b, two);
      const fromA2Far = await netnsOf(c, a2Far);

      // default deny across cells: same tenant, other tenant, TCP and UDP
      expect(await getFrom(fromA1, a2Far.container_ip, 8080)).toEqual(refused);
      expect(await getFrom(fromA1, bFar.container_ip, 8080)).toEqual(refused);
      const udp = await udpListener(fromA2Far, 9999);
      try {
        await udpSend(fromA1, a1.container_ip, a2Far.container_ip, 9999, "before");

        // a policy a → a2 (tcp 8080 and udp 9999) opens it from every a to every a2, across cells
        for (const body of [
          { source: "a", destination: "a2", port: 8080 },
          { source: "a", destination: "a2", protocol: "udp", port: 9999 },
        ])
          await expectStatus(
            await c.tenant("alpha").call("/v1/policies", { method: "POST", json: body }),
            201,
          );
        await eventually(
          async () => ((await getFrom(fromA1, a2Far.container_ip, 8080)).ok ? true : undefined),
          5_000,
        );
        expect(await getFrom(await netnsOf(c, at(a, two)), a2Near.container_ip, 8080)).toMatchObject({
          ok: true,
          status: 200,
        });
        await eventually(async () => {
          await udpSend(fromA1, a1.container_ip, a2Far.container_ip, 9999, "after");
          return udp.lines().includes("after") ? true : undefined;
        }, 5_000);
        expect(udp.lines()).not.toContain("before");
        // nothing else opened: not the way back, not the other tenant
        expect(await getFrom(fromA2Far, a1.container_ip, 8080)).toEqual(refused);
        expect(await getFrom(fromA1, bFar.container_ip, 8080)).toEqual(refused);

        // b's container on cell one takes a's address on cell two and sends as it: dropped at its port
        const forger = at(b, one);
        const forgerNetns = await netnsOf(c, forger);
        const aFar = at(a, two);
        await execa("nsenter", [
          `--net=${forgerNetns}`,
          "--",
          "ip",
          "addr",
          "add",
          `${aFar.container_ip}/32`,
          "dev",
          "eth0",
        ]);
        await udpSend(forgerNetns, aFar.container_ip, a2Far.container_ip, 9999, "forged");
        await udpSend(fromA1, a1.container_ip, a2Far.container_ip, 9999, "last");
        await udp.waitFor("last");
        expect(udp.lines()).not.toContain("forged");
      } finally {
        await udp.stop();
      }

      // a third cell joins: both others route its subnet within 5 s; removed, the routes go within 5 s
      const three = await c.addCell();
      const third = await cellInfo(c, three);
      const all = [leases[0]?.subnet, leases[1]?.subnet].sort();
      await eventually(async () => {
        const [r1, r2, r3] = [await groveRoutes(one), await groveRoutes(two), await groveRoutes(three)];
        const joined = r1.includes(third.subnet) && r2.includes(third.subnet);
        return joined && JSON.stringify(r3) === JSON.stringify(all) ? true : undefined;
      }, 5_000);
      await expectStatus(await c.t.call(`/v1/cells/${third.id}/remove`, { method: "POST" }), 200);
      await eventually(async () => {
        const [r1, r2] = [await groveRoutes(one), await groveRoutes(two)];
        return !r1.includes(third.subnet) && !r2.includes(third.subnet) ? true : undefined;
      }, 5_000);
    }, 240_000);

    it("a policy works on every cell within 2 s, a cell's agent killed with -9 keeps enforcing and resyncs on start, egress is allowed and refused by rule, and a lost cell leaves the others' routes within 5 s", async ({
      pg,
      nats,
    }) => {
      const c = await startCluster(pg, nats, { cellCount: 2, netnsHosts: true, presenceTtlMs: 4_000 });
      const [one, two] = c.cells;
      await c.pushWeb("client", 2);
      await c.pushWeb("server", 2);
      const client = await onEachCell(c, "default", "client");
      const server = await onEachCell(c, "default", "server");
      const [fromOne, fromTwo] = [await netnsOf(c, at(client, one)), await netnsOf(c, at(client, two))];
      const [serverOne, serverTwo] = [at(server, one).container_ip, at(server, two).container_ip];
      const passes = async (netns: string, ip: string) => (await getFrom(netns, ip, 8080, 500)).ok;
      expect(await getFrom(fromOne, serverTwo, 8080, 500)).toEqual(refused);

      // a new policy: every cell enforces it within 2 s of the API call (the time its agent logged
      // the applied slice: probing from containers costs a process start each, seconds on a busy machine)
      const started = Date.now();
      const policy = (await expectStatus(
        await c.call("/v1/policies", {
          method: "POST",
          json: { source: "client", destination: "server", port: 8080 },
        }),
        201,
      )) as { id: string };
      const appliedAt = (cell: CellProcess | undefined) =>
        eventually(async () => {
          for (const line of cell?.logs ?? []) {
            if (!line.startsWith("{")) continue;
            const entry = JSON.parse(line) as { msg?: string; time?: number; rules?: number };
            if (entry.msg === "network policy applied" && (entry.time ?? 0) >= started && entry.rules === 1)
              return entry.time;
          }
          return undefined;
        }, 10_000);
      for (const cell of [one, two]) expect((await appliedAt(cell)) - started).toBeLessThan(2_000);
      await eventually(
        async () =>
          (await passes(fromOne, serverTwo)) && (await passes(fromTwo, serverOne)) ? true : undefined,
        10_000,
      );

      // the agent of cell two dies: its rules stay in the kernel, allowing and refusing as before
      await two?.kill("SIGKILL");
      const serverNs = await netnsOf(c, at(server, two));
      expect(await passes(fromTwo, serverTwo)).toBe(true);
      expect(await getFrom(serverNs, at(client, two).container_ip, 8080, 500)).toEqual(refused);
      // the policy goes while it is down: cell one follows at once, cell two keeps what it had
      await expectStatus(await c.call(`/v1/policies/${policy.id}`, { method: "DELETE" }), 204);
      await timeUntil(async () => !(await passes(fromOne, serverOne)), 5_000);
      expect(await passes(fromTwo, serverTwo)).toBe(true);
      // started again, it pulls the policy at once
      await two?.start();
      await timeUntil(async () => !(await passes(fromTwo, serverTwo)), 5_000);

      // egress: a host outside the containers' range is refused until a rule of the tenant allows it
      const outside = await hostServer(two, 18_080);
      const hostTwo = two?.host?.address ?? "?";
      try {
        expect((await getFrom(fromOne, hostTwo, 18_080, 800)).ok).toBe(false);
        await expectStatus(
          await c.call("/v1/egress-rules", {
            method: "POST",
            json: { destination: `${hostTwo}/32`, protocol: "tcp", port: 18_080 },
          }),
          201,
        );
        await eventually(async () => {
          const got = await getFrom(fromOne, hostTwo, 18_080, 500);
          return got.ok && got.body === "outside" ? true : undefined;
        }, 5_000);
        // the rule opens that port only
        expect((await getFrom(fromOne, hostTwo, 8080, 800)).ok).toBe(false);
      } finally {
        await outside.stop();
      }

      // cell two is lost (killed, heartbeats stop): cell one stops routing its subnet within 5 s
      const twoInfo = await cellInfo(c, two);
      expect(await groveRoutes(one)).toEqual([twoInfo.subnet]);
      await two?.kill("SIGKILL");
      await eventually(async () => {
        const { items } = (await expectStatus(await c.t.call("/v1/cells"), 200)) as {
          items: { id: string; state: string }[];
        };
        return items.find((x) => x.id === twoInfo.id)?.state === "lost" ? true : undefined;
      }, 30_000);
      expect(await timeUntil(async () => (await groveRoutes(one)).length === 0, 5_000)).toBeLessThan(5_000);
    }, 300_000);

    it("with VXLAN, cells reach each other's containers through a VXLAN device of MTU 1450 with static FDB entries, which follow cells joining and being lost within 5 s", async ({
      pg,
      nats,
    }) => {
      const c = await startCluster(pg, nats, {
        cellCount: 2,
        netnsHosts: true,
        presenceTtlMs: 4_000,
        apiEnv: { GROVE_CELL_OVERLAY: "vxlan" },
      });
      const [one, two] = c.cells;
      await c.pushWeb("a", 2);
      await c.pushWeb("a2", 2);
      const a = await onEachCell(c, "default", "a");
      const a2 = await onEachCell(c, "default", "a2");
      const fromA1 = await netnsOf(c, at(a, one));
      const target = at(a2, two).container_ip;
      expect(await getFrom(fromA1, target, 8080)).toEqual(refused);
      await expectStatus(
        await c.call("/v1/policies", {
          method: "POST",
          json: { source: "a", destination: "a2", port: 8080 },
        }),
        201,
      );
      await eventually(async () => ((await getFrom(fromA1, target, 8080)).ok ? true : undefined), 5_000);

      const host = one?.host;
      if (!host || !two?.host) throw new Error("cells without hosts");
      const links = JSON.parse(
        (await execa("ip", ["-n", host.name, "-j", "-d", "link", "show", "type", "vxlan"])).stdout,
      ) as {
        ifname: string;
        mtu: number;
        linkinfo: { info_data: { id: number; learning?: boolean } };
      }[];
      expect(links).toHaveLength(1);
      expect(links[0]?.mtu).toBe(1450);
      expect(links[0]?.linkinfo.info_data.learning).toBe(false);
      const fdb = (await execa("bridge", ["-n", host.name, "fdb", "show", "dev", links[0]?.ifname ?? "?"]))
        .stdout;
      expect(fdb).toContain(`dst ${two.host.address}`);
      // ip, not /sys: sysfs shows the namespace it was mounted in, not the one entered
      const { stdout: eth0 } = await execa("nsenter", [
        `--net=${fromA1}`,
        "--",
        "ip",
        "-j",
        "link",
        "show",
        "eth0",
      ]);
      const mtu = (JSON.parse(eth0) as { mtu: number }[])[0]?.mtu;
      const { stdout: underlay } = await execa("ip", ["-n", host.name, "-j", "link", "show", "dev", "eth0"]);
      const underlayMtu = (JSON.parse(underlay) as { mtu: number }[])[0]?.mtu ?? 0;
      // containers never send what the tunnel cannot carry
      expect(underlayMtu).toBe(1500);
      expect(mtu).toBe(underlayMtu - 50);

      // a third cell joins: the others get its FDB entry and route within 5 s
      const three = await c.addCell();
      const third = await cellInfo(c, three);
      const threeAddress = three.host?.address ?? "?";
      const knowsThree = async (cell: CellProcess | undefined) =>
        (await groveRoutes(cell)).includes(third.subnet) &&
        (await fdbDestinations(cell)).includes(threeAddress);
      await timeUntil(async () => (await knowsThree(one)) && (await knowsThree(two)), 5_000);
      // it is lost (agent killed with -9, heartbeats stop): both forget it within 5 s of the api saying so
      await three.kill("SIGKILL");
      await eventually(async () => {
        const { items } = (await expectStatus(await c.t.call("/v1/cells"), 200)) as {
          items: { id: string; state: string }[];
        };
        return items.find((x) => x.id === third.id)?.state === "lost" ? true : undefined;
      }, 30_000);
      const forgotThree = async (cell: CellProcess | undefined) =>
        !(await groveRoutes(cell)).includes(third.subnet) &&
        !(await fdbDestinations(cell)).includes(threeAddress);
      await timeUntil(async () => (await forgotThree(one)) && (await forgotThree(two)), 5_000);
      // what the survivors route to each other stays
      expect(await fdbDestinations(one)).toEqual([two.host.address]);
      expect(await fdbDestinations(two)).toEqual([host.address]);
    }, 300_000);
  },
);
