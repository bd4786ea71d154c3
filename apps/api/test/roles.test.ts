import { connectDatabase } from "@grove/db";
import { subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import pino from "pino";
import postgres from "postgres";
import { expect, onTestFinished } from "vitest";
import { createApi } from "../src/api";
import { LEADER_LOCK_KEY } from "../src/leader/lock";
import { eventually, expectStatus, joinToken, OPERATOR, pushApp, startTestApi } from "./harness";
import { joinHollowCell } from "./hollow-cell";

describeWith(["root", "postgres", "nats"], "api roles (GROVE_API_ROLES)", () => {
  it("an http replica never leads, even alone; a leader replica serves no API and carries out its changes", async ({
    pg,
    nats,
  }) => {
    // a long interval: only the wake-up the http replica publishes can explain a prompt placement
    const http = await startTestApi(pg, nats, {
      GROVE_API_ROLES: "http",
      GROVE_CONVERGENCE_INTERVAL_MS: "600000",
    });
    const admin = postgres(http.config.DATABASE_URL, { max: 1, onnotice: () => {} });
    onTestFinished(() => admin.end());
    const lockHolders = async () =>
      (
        await admin<{ pid: number }[]>`select pid from pg_locks
          where locktype = 'advisory' and objid = ${LEADER_LOCK_KEY} and granted`
      ).length;

    // alone, it serves the API: a developer pushes an app, which nobody places yet
    const dev = await http.tenantWithToken("acme");
    await pushApp(http, dev, "web");
    const token = await joinToken(http, 2);
    // it competes for nothing (a replica that may lead takes the lock as it starts) ...
    for (let i = 0; i < 5; i++) {
      expect(http.api.isLeader()).toBe(false);
      expect(await lockHolders()).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // ... and answers no cell: a join finds no responder
    const joinNc = await nats.connect("api");
    onTestFinished(() => joinNc.close());
    await expect(joinNc.request(subjects.register, "{}", { timeout: 2_000 })).rejects.toThrow(
      /no responders/i,
    );

    // a leader-only replica over the same database and NATS
    const database = connectDatabase(http.config.DATABASE_URL, { max: 3 });
    const nc = await nats.connect("api");
    const leader = createApi({
      config: { ...http.config, GROVE_API_ROLES: new Set(["leader"] as const) },
      db: database.db,
      nc,
      authority: http.authority,
      log: pino({ level: "silent" }),
      leaderCheckMs: 50,
    });
    await leader.start();
    onTestFinished(async () => {
      await leader.stop();
      await nc.close();
      await database.close();
    });
    await eventually(async () => (leader.isLeader() ? true : undefined));
    expect(await lockHolders()).toBe(1);
    expect(http.api.isLeader()).toBe(false);

    // it answers cells, and places what the http replica accepted ...
    const cell = await joinHollowCell(joinNc, token, "a");
    onTestFinished(() => cell.stop());
    await eventually(async () => (cell.starts.length === 1 ? true : undefined), 5_000);
    // ... and a scale made through the http replica at once (its wake-up reaches the leader)
    await expectStatus(
      await http.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: 2 } }),
      200,
    );
    await eventually(async () => (cell.starts.length === 2 ? true : undefined), 5_000);
    expect(http.api.isLeader()).toBe(false);

    // its port serves health and metrics, and no public API
    const ask = (path: string) =>
      Promise.resolve(leader.app.request(path, { headers: { authorization: `Bearer ${OPERATOR}` } }));
    await expectStatus(await ask("/livez"), 200);
    expect(await expectStatus(await ask("/readyz"), 200)).toEqual({
      ready: true,
      checks: { postgres: true, nats: true },
    });
    expect(await (await ask("/metrics")).text()).toMatch(/^grove_leader 1$/m);
    for (const path of ["/v1/apps", "/v1/tenants", "/openapi.json", "/console"]) {
      const res = await ask(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toContain("application/problem+json");
    }
  });
});
