import { schema } from "@grove/db";
import { CellHeartbeat, decodeOrThrow, encode, RegisterCellReply, subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { sql } from "drizzle-orm";
import { expect, onTestFinished } from "vitest";
import { hashToken } from "../src/auth/tokens";
import { digestReport } from "../src/cells/report-digest";
import { cellById, recordHeartbeatIfChanged } from "../src/repo/cells";
import { insertJoinToken } from "../src/repo/join-tokens";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";
import { capacity, register, registerRequest } from "./register-cell";

async function joinToken(t: TestApi, uses = 1): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { expires_in_seconds: 600, uses } });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

function heartbeat(cellId: string, seq = 1) {
  return encode(CellHeartbeat, {
    v: 2,
    cellId,
    seq,
    at: new Date().toISOString(),
    capacity,
    available: { memoryMb: 3000, diskMb: 20_000, containers: 99 },
    instances: [],
  });
}

async function cellCount(t: TestApi): Promise<number> {
  const page = (await expectStatus(await t.call("/v1/cells"), 200)) as { items: unknown[] };
  return page.items.length;
}

function rejected(metrics: string, reason: string): number {
  const line = metrics
    .split("\n")
    .find((l) =>
      l.startsWith(`grove_cell_messages_rejected_total{subject_kind="heartbeat",reason="${reason}"}`),
    );
  return Number(line?.split(" ").at(-1) ?? 0);
}

describeWith(["root", "postgres", "nats"], "cells", () => {
  it("joins a cell with a valid join token and shows it to operators", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const reply = await register(t.nc, await joinToken(t));
    if (!reply.ok) throw new Error(reply.error);
    // the cell's NATS user (this JWT and the seed only its agent has) is its only credential
    expect(reply).not.toHaveProperty("credential");
    expect(reply.jwt.split(".")).toHaveLength(3);
    const cell = (await expectStatus(await t.call(`/v1/cells/${reply.cellId}`), 200)) as Record<
      string,
      unknown
    >;
    expect(cell).toMatchObject({
      id: reply.cellId,
      name: "cell-a",
      zone: "z1",
      state: "active",
      capacity: { memory_mb: 4096, disk_mb: 20_480, containers: 100 },
      tags: ["ssd"],
      stacks: ["busybox"],
    });
    const row = await cellById(t.db, reply.cellId);
    expect(Object.keys(row).filter((k) => /credential/i.test(k))).toEqual([]);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/cells", { token: dev }), 403);
    await expectStatus(await t.call("/v1/cells/tokens", { method: "POST", token: dev, json: {} }), 403);
  });

  it("joins cells racing on one token concurrently: each use once, each cell its own subnet, the rest refused", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const token = await joinToken(t, 5);
    const replies = await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const reply = await t.nc.request(
          subjects.register,
          JSON.stringify(registerRequest(token, `race-${i}`)),
          { timeout: 60_000 },
        );
        return decodeOrThrow(RegisterCellReply, reply.data);
      }),
    );
    const joined = replies.filter((r) => r.ok);
    expect(joined).toHaveLength(5);
    expect(new Set(joined.map((r) => r.cellId)).size).toBe(5);
    expect(new Set(joined.map((r) => r.network?.subnet)).size).toBe(5);
    for (const refused of replies.filter((r) => !r.ok))
      expect(refused).toMatchObject({ code: "invalid-join-token", error: "join token used up" });
    expect(await cellCount(t)).toBe(5);
  });

  it("refuses a join with an unknown token and writes nothing", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    await joinToken(t);
    const reply = await register(t.nc, "grovejoin_this-token-was-never-issued");
    expect(reply).toMatchObject({ ok: false, code: "invalid-join-token" });
    expect(await cellCount(t)).toBe(0);
  });

  it("refuses a join with an expired token and writes nothing", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const token = "grovejoin_expired-token-for-the-test";
    await insertJoinToken(t.db, hashToken(token), new Date(Date.now() - 1_000));
    expect(await register(t.nc, token)).toMatchObject({ ok: false, code: "expired-join-token" });
    expect(await cellCount(t)).toBe(0);
  });

  it("refuses a malformed register request", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const reply = await t.nc.request(subjects.register, JSON.stringify({ v: 1, joinToken: "x" }), {
      timeout: 5_000,
    });
    expect(decodeOrThrow(RegisterCellReply, reply.data)).toMatchObject({
      ok: false,
      code: "invalid-request",
    });
    expect(await t.api.metrics.registry.metrics()).toContain(
      'grove_protocol_rejected_messages_total{type="cells.register",kind="invalid-fields"} 1',
    );
  });

  it("records a cell's own heartbeat and rejects one naming another cell, an unknown cell's, or an old version", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const token = await joinToken(t, 2);
    const a = await register(t.nc, token, "cell-a");
    const b = await register(t.nc, token, "cell-b");
    if (!a.ok || !b.ok) throw new Error("join failed");
    const bBefore = await cellById(t.db, b.cellId);

    t.nc.publish(subjects.heartbeat(a.cellId), heartbeat(a.cellId));
    await eventually(async () => ((await cellById(t.db, a.cellId)).lastReport ? true : undefined));
    const shown = (await expectStatus(await t.call(`/v1/cells/${a.cellId}`), 200)) as Record<string, unknown>;
    expect(shown.available).toEqual({ memory_mb: 3000, disk_mb: 20_000, containers: 99 });

    // A claims to be B on its own subject (B's subject its NATS user may not publish on)
    t.nc.publish(subjects.heartbeat(a.cellId), heartbeat(b.cellId));
    // a cell that never joined
    const stranger = "00000000-0000-4000-8000-000000000000";
    t.nc.publish(subjects.heartbeat(stranger), heartbeat(stranger));
    // B's heartbeat as agents sent it before the credential left the messages
    const old = {
      ...JSON.parse(new TextDecoder().decode(heartbeat(b.cellId))),
      v: 1,
      credential: "c".repeat(43),
    };
    t.nc.publish(subjects.heartbeat(b.cellId), JSON.stringify(old));
    await eventually(async () => {
      const metrics = await t.api.metrics.registry.metrics();
      return rejected(metrics, "subject-mismatch") === 1 &&
        rejected(metrics, "unknown-cell") === 1 &&
        rejected(metrics, "unsupported-version") === 1
        ? true
        : undefined;
    });
    expect(await t.api.metrics.registry.metrics()).toContain(
      'grove_protocol_rejected_messages_total{type="cells.heartbeat",kind="unsupported-version"} 1',
    );
    const bAfter = await cellById(t.db, b.cellId);
    expect(bAfter.lastHeartbeatAt).toEqual(bBefore.lastHeartbeatAt);
    expect(bAfter.lastReport).toBeNull();
  });

  it("marks a cell lost when its heartbeats stop, and active when they resume", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats, { GROVE_PRESENCE_TTL_MS: "800" });
    const token = await joinToken(t);
    const started = Date.now(); // before the join: the cell's presence counts from when it joined
    const reply = await register(t.nc, token);
    if (!reply.ok) throw new Error(reply.error);
    const lostAt = await eventually(async () =>
      (await cellById(t.db, reply.cellId)).state === "lost" ? Date.now() : undefined,
    );
    expect(lostAt - started).toBeGreaterThanOrEqual(700);
    t.nc.publish(subjects.heartbeat(reply.cellId), heartbeat(reply.cellId));
    await eventually(async () =>
      (await cellById(t.db, reply.cellId)).state === "active" ? true : undefined,
    );
  });

  it("stores a heartbeat only when it changes something, and keeps a cell that beats unchanged alive", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_PRESENCE_TTL_MS: "600" });
    const reply = await register(t.nc, await joinToken(t));
    if (!reply.ok) throw new Error(reply.error);
    const stored = async () => (await cellById(t.db, reply.cellId)).lastReport as { seq: number } | null;
    t.nc.publish(subjects.heartbeat(reply.cellId), heartbeat(reply.cellId, 1));
    await eventually(async () => ((await stored())?.seq === 1 ? true : undefined));
    const writtenAt = (await cellById(t.db, reply.cellId)).lastHeartbeatAt;
    // beats that change nothing for three TTLs: not stored, and the cell stays active
    const started = Date.now();
    for (let seq = 2; Date.now() - started < 1_800; seq++) {
      t.nc.publish(subjects.heartbeat(reply.cellId), heartbeat(reply.cellId, seq));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await t.nc.flush();
    const metrics = await t.api.metrics.registry.metrics();
    expect(metrics).toContain('grove_cell_heartbeats_total{stored="no"}');
    const after = await cellById(t.db, reply.cellId);
    expect(after.state).toBe("active");
    expect(after.lastHeartbeatAt).toEqual(writtenAt);
    expect((after.lastReport as { seq: number }).seq).toBe(1);
    // a beat that says something new is stored at once
    const changed = encode(CellHeartbeat, {
      ...decodeOrThrow(CellHeartbeat, heartbeat(reply.cellId, 99)),
      available: { memoryMb: 2000, diskMb: 20_000, containers: 98 },
    });
    t.nc.publish(subjects.heartbeat(reply.cellId), changed);
    await eventually(async () => ((await stored())?.seq === 99 ? true : undefined));
  });

  it("a refresh of an unchanged heartbeat moves only its time unless usage changed, and renews the lease once a third of its TTL has passed", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const reply = await register(t.nc, await joinToken(t));
    if (!reply.ok) throw new Error(reply.error);
    const leaseTtlMs = 600_000;
    const base = {
      ...decodeOrThrow(CellHeartbeat, heartbeat(reply.cellId, 1)),
      instances: [
        {
          instanceId: crypto.randomUUID(),
          appId: crypto.randomUUID(),
          revision: 1,
          index: 0,
          state: "RUNNING" as const,
        },
      ],
    };
    const record = (hb: CellHeartbeat) =>
      recordHeartbeatIfChanged(t.db, reply.cellId, digestReport(hb), {
        refreshMs: 0,
        leaseTtlMs,
      });
    const state = async () => {
      const [row] = await t.db.execute<{ seq: number; at: Date; expires: Date }>(sql`
        select (c.last_report->>'seq')::int as seq, c.last_heartbeat_at as at, l.expires_at as expires
        from cells c left join subnet_leases l on l.cell_id = c.id where c.id = ${reply.cellId}`);
      if (!row) throw new Error("no cell");
      return { seq: row.seq, at: new Date(row.at).getTime(), expires: new Date(row.expires).getTime() };
    };
    expect(await record(base)).toBe("written");
    const first = await state();
    expect(first.seq).toBe(1);
    // the same report again (a refresh: refreshMs 0): its time moves, the stored report stays
    expect(await record({ ...base, seq: 2 })).toBe("written");
    const refreshed = await state();
    expect(refreshed.seq).toBe(1);
    expect(refreshed.at).toBeGreaterThanOrEqual(first.at);
    expect(refreshed.expires).toBe(first.expires);
    // usage changed: the report is stored again, though the state digest is the same
    const used = {
      ...base,
      seq: 3,
      instances: base.instances.map((i) => ({
        ...i,
        usage: { cpuPercent: 5, memoryBytes: 64 << 20, diskBytes: 1 << 20 },
      })),
    };
    expect(digestReport(used).digests.state).toBe(digestReport(base).digests.state);
    expect(await record(used)).toBe("written");
    expect((await state()).seq).toBe(3);
    // a lease with less than two thirds of its TTL left is renewed by the next stored beat
    await t.db.execute(
      sql`update subnet_leases set expires_at = now() + interval '300 seconds' where cell_id = ${reply.cellId}`,
    );
    const aged = await state();
    expect(await record({ ...used, seq: 4 })).toBe("written");
    const renewed = await state();
    expect(renewed.expires).toBeGreaterThan(aged.expires + 250_000);
    expect(renewed.seq).toBe(3);
  });

  it("undrains a drained cell so placement uses it again; an active cell is a no-op, a lost or unknown one an error", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_PRESENCE_TTL_MS: "800" });
    const token = await joinToken(t);
    const cell = await joinHollowCell(t.nc, token, "undrain-me");
    onTestFinished(() => cell.stop());
    cell.startHeartbeats(200);
    await expectStatus(await t.call(`/v1/cells/${cell.cellId}/drain`, { method: "POST" }), 200);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", json: webApp("web"), token: dev }), 201);
    const bits = await tarOf({ "index.html": "hi" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", body: bits, token: dev }), 200);
    const waiting = await eventually(async () => {
      const [instance] = await t.db.select().from(schema.instances);
      return instance?.reason === "no active cells (1 draining)" ? instance : undefined;
    });
    expect(waiting.state).toBe("UNPLACED");
    expect(cell.starts).toHaveLength(0);

    const undrained = await expectStatus(
      await t.call(`/v1/cells/${cell.cellId}/undrain`, { method: "POST" }),
      200,
    );
    expect(undrained).toMatchObject({ id: cell.cellId, state: "active" });
    await eventually(async () => (cell.starts.length === 1 ? true : undefined));
    const again = await expectStatus(
      await t.call(`/v1/cells/${cell.cellId}/undrain`, { method: "POST" }),
      200,
    );
    expect(again).toMatchObject({ state: "active" });

    cell.stopHeartbeats();
    await eventually(async () => ((await cellById(t.db, cell.cellId)).state === "lost" ? true : undefined));
    const lost = await t.call(`/v1/cells/${cell.cellId}/undrain`, { method: "POST" });
    expect(lost.status).toBe(409);
    expect(((await lost.json()) as { detail: string }).detail).toBe(
      "cell undrain-me is lost; it becomes active again when it heartbeats",
    );
    expect((await cellById(t.db, cell.cellId)).state).toBe("lost");
    await expectStatus(
      await t.call("/v1/cells/00000000-0000-4000-8000-000000000000/undrain", { method: "POST" }),
      404,
    );
    await expectStatus(await t.call("/v1/cells/not-a-cell/undrain", { method: "POST" }), 404);
  });

  it("drains a cell on request and 404s an unknown cell", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const reply = await register(t.nc, await joinToken(t));
    if (!reply.ok) throw new Error(reply.error);
    const drained = await expectStatus(
      await t.call(`/v1/cells/${reply.cellId}/drain`, { method: "POST" }),
      200,
    );
    expect(drained).toMatchObject({ state: "draining" });
    await expectStatus(await t.call("/v1/cells/not-a-cell"), 404);
    await expectStatus(
      await t.call("/v1/cells/00000000-0000-4000-8000-000000000000/drain", { method: "POST" }),
      404,
    );
  });
});
