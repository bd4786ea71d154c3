import { randomUUID } from "node:crypto";
import { CellStateSync, encode, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { pino } from "pino";
import { expect, onTestFinished } from "vitest";
import { createApi } from "../src/api";
import { eventually, expectStatus, OPERATOR, startTestApi, type TestApi } from "./harness";
import { joinHollowCell } from "./hollow-cell";
import { register } from "./register-cell";

interface CellView {
  id: string;
  subnet_lease: { subnet: string; expires_at: string } | null;
}

async function joinToken(t: TestApi, uses: number): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { expires_in_seconds: 600, uses } });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

const cellView = async (t: TestApi, id: string) =>
  (await expectStatus(await t.call(`/v1/cells/${id}`), 200)) as CellView;

describeWith(["root", "postgres", "nats"], "subnet leases and overlay peers", () => {
  it("each joining cell leases its own subnet of the cluster range, shown to operators and kept across api restarts", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, {
      GROVE_CELL_NETWORK: "10.251.0.0/22",
      GROVE_CELL_OVERLAY: "vxlan",
    });
    const token = await joinToken(t, 2);
    const a = await register(t.nc, token, "lease-a");
    const b = await register(t.nc, token, "lease-b");
    if (!a.ok || !b.ok) throw new Error("join refused");
    expect(a.network).toEqual({ subnet: "10.251.0.0/24", range: "10.251.0.0/22", mode: "vxlan" });
    expect(b.network?.subnet).toBe("10.251.1.0/24");
    const view = await cellView(t, a.cellId);
    expect(view.subnet_lease?.subnet).toBe("10.251.0.0/24");
    expect(new Date(view.subnet_lease?.expires_at ?? 0).getTime()).toBeGreaterThan(Date.now());
    const listed = (await expectStatus(await t.call("/v1/cells"), 200)) as { items: CellView[] };
    expect(listed.items.map((c) => c.subnet_lease?.subnet).sort()).toEqual([
      "10.251.0.0/24",
      "10.251.1.0/24",
    ]);

    // another api on the same database (a restart) shows the same leases
    await t.api.stop();
    const again = createApi({
      config: t.config,
      db: t.db,
      nc: t.nc,
      authority: t.authority,
      log: pino({ level: "silent" }),
    });
    await again.start();
    onTestFinished(() => again.stop());
    const res = await again.app.request(`/v1/cells/${b.cellId}`, {
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    expect(((await expectStatus(res, 200)) as CellView).subnet_lease?.subnet).toBe("10.251.1.0/24");
  });

  it("a full range refuses the join and writes nothing; a lease expired with its silent cell is reclaimed", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, {
      GROVE_CELL_NETWORK: "10.251.4.0/23",
      GROVE_SUBNET_LEASE_TTL_MS: "1500",
    });
    const token = await joinToken(t, 4);
    const silent = await register(t.nc, token, "silent");
    const live = await joinHollowCell(t.nc, token, "live");
    live.startHeartbeats(200);
    onTestFinished(() => live.stop());
    if (!silent.ok) throw new Error("join refused");
    const full = await register(t.nc, token, "one-too-many");
    expect(full).toMatchObject({ ok: false, code: "no-free-subnet" });
    const cells = (await expectStatus(await t.call("/v1/cells"), 200)) as { items: unknown[] };
    expect(cells.items).toHaveLength(2);
    // heartbeats renew the live cell's lease; the silent one's runs out and goes to a newcomer
    const newcomer = await eventually(async () => {
      const reply = await register(t.nc, token, `newcomer-${Date.now()}`);
      return reply.ok ? reply : undefined;
    }, 10_000);
    expect(newcomer.network?.subnet).toBe(silent.network?.subnet);
    expect((await cellView(t, live.cellId)).subnet_lease?.subnet).toBe("10.251.5.0/24");
    expect((await cellView(t, silent.cellId)).subnet_lease).toBeNull();
  });

  it("every cell in service is told of the others within 5 s of a join and of a removal", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "60000" });
    const token = await joinToken(t, 3);
    const a = await joinHollowCell(t.nc, token, "peer-a");
    const b = await joinHollowCell(t.nc, token, "peer-b");
    for (const cell of [a, b]) {
      cell.startHeartbeats(500);
      onTestFinished(() => cell.stop());
    }
    const peersOf = (cell: typeof a) => cell.peers.at(-1)?.peers.map((p) => p.cellId) ?? [];
    await eventually(async () => (peersOf(a).includes(b.cellId) ? true : undefined), 5_000);
    const c = await joinHollowCell(t.nc, token, "peer-c");
    onTestFinished(() => c.stop());
    await eventually(
      async () => (peersOf(a).includes(c.cellId) && peersOf(b).includes(c.cellId) ? true : undefined),
      5_000,
    );
    const sent = a.peers.at(-1);
    expect(sent?.mode).toBe("routes");
    expect(sent?.peers.find((p) => p.cellId === c.cellId)?.subnet).toMatch(/^10\.250\.\d+\.0\/24$/);
    expect(peersOf(a)).not.toContain(a.cellId);
    // a cell's state sync (it may have restarted) gets that cell its peers again, not every cell
    const [aHad, bHad] = [a.peers.length, b.peers.length];
    const capacity = { memoryMb: 4096, diskMb: 20_480, containers: 100 };
    await b.nc.request(
      subjects.stateSync(b.cellId),
      encode(CellStateSync, {
        v: 2,
        cellId: b.cellId,
        syncId: randomUUID(),
        at: new Date().toISOString(),
        capacity,
        available: capacity,
        instances: [],
        volumes: [],
      }),
      { timeout: 5_000 },
    );
    await eventually(async () => (b.peers.length > bHad ? true : undefined), 5_000);
    // a's would have gone in the same push as b's: a moment for it to arrive, had it been sent
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(a.peers.length).toBe(aHad);
    await expectStatus(await t.call(`/v1/cells/${c.cellId}/remove`, { method: "POST" }), 200);
    await eventually(
      async () => (!peersOf(a).includes(c.cellId) && !peersOf(b).includes(c.cellId) ? true : undefined),
      5_000,
    );
  });
});
