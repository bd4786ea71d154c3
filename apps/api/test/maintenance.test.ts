import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { eq, sql } from "drizzle-orm";
import { expect } from "vitest";
import { pruneExpired } from "../src/maintenance";
import { principalForToken } from "../src/repo/tokens";
import { expectStatus, OPERATOR, startTestApi, tarOf, webApp } from "./harness";
import { register } from "./register-cell";

describeWith(["root", "postgres", "nats"], "idempotency key lifetime", () => {
  it("takes over a key whose first request never finished, after a minute", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const principal = await principalForToken(t.db, OPERATOR);
    await expectStatus(await t.call("/v1/tenants", { method: "POST", json: { name: "acme" } }), 201);
    await t.db.insert(schema.idempotencyKeys).values({
      principalId: principal?.tokenId as string,
      key: "stuck",
      fingerprint: "from a request that died",
      createdAt: new Date(Date.now() - 120_000),
    });
    const res = await t.call("/v1/apps", {
      method: "POST",
      headers: { "idempotency-key": "stuck", "x-grove-tenant": "acme" },
      json: webApp(),
    });
    await expectStatus(res, 201);
  });

  it("prunes stored responses after a day", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const send = () =>
      t.call("/v1/tenants", { method: "POST", headers: { "idempotency-key": "k" }, json: { name: "acme" } });
    await expectStatus(await send(), 201);
    await pruneExpired(t.db, new Date(Date.now() + 25 * 3600_000));
    const rows = await t.db.select().from(schema.idempotencyKeys).where(eq(schema.idempotencyKeys.key, "k"));
    expect(rows).toEqual([]);
    // the key is free again: the same request is now a new create (and conflicts)
    await expectStatus(await send(), 409);
  });

  it("prunes stopped instances, revisions nothing runs, spent join tokens and long-lost cells after the retention", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const headers = { "x-grove-tenant": "acme" };
    await expectStatus(await t.call("/v1/tenants", { method: "POST", json: { name: "acme" } }), 201);
    await expectStatus(await t.call("/v1/apps", { method: "POST", headers, json: webApp() }), 201);
    for (const content of ["one", "two"])
      await expectStatus(
        await t.call("/v1/apps/web/bits", {
          method: "PUT",
          headers,
          body: await tarOf({ "app.sh": content }),
        }),
        200,
      );
    const [app] = await t.db.select().from(schema.apps).where(eq(schema.apps.name, "web"));
    if (!app) throw new Error("no app");
    // an old revision still running (its replacement is not) is kept with its instance; a stopped one goes
    const instance = (revision: number, state: "STOPPED" | "RUNNING") => ({
      tenantId: app.tenantId,
      appId: app.id,
      index: 0,
      revision,
      state,
    });
    const [stopped, running] = await t.db
      .insert(schema.instances)
      .values([instance(1, "STOPPED"), instance(2, "RUNNING")])
      .returning({ id: schema.instances.id });
    const spent = await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 1 } }),
      201,
    );
    const cell = await register(t.nc, (spent as { token: string }).token, "gone");
    const unused = await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 1, expires_in_seconds: 86_400 } }),
      201,
    );
    if (!cell.ok) throw new Error(cell.error);
    await t.db.execute(sql`update cells set state = 'lost' where id = ${cell.cellId}`);

    // within the retention nothing goes
    expect(await pruneExpired(t.db, new Date(), 3600_000)).toEqual({
      instances: 0,
      revisions: 0,
      joinTokens: 0,
      expiredCells: 0,
    });
    const later = new Date(Date.now() + 2 * 3600_000);
    const pruned = await pruneExpired(t.db, later, 3600_000);
    expect(pruned.instances).toBeGreaterThanOrEqual(1);
    expect(pruned).toMatchObject({ revisions: 1, joinTokens: 1, expiredCells: 1 });
    const revisions = await t.db
      .select({ revision: schema.appRevisions.revision })
      .from(schema.appRevisions)
      .where(eq(schema.appRevisions.appId, app.id));
    expect(revisions.map((r) => r.revision).sort()).toEqual([2, app.revision]);
    // the leader runs meanwhile (it may stop an instance of its own after the prune): only the
    // instances this test wrote are looked at
    const states = await t.db
      .select({ id: schema.instances.id, revision: schema.instances.revision, state: schema.instances.state })
      .from(schema.instances)
      .where(eq(schema.instances.appId, app.id));
    expect(states.find((i) => i.id === stopped?.id)).toBeUndefined();
    expect(states).toContainEqual({ id: running?.id, revision: 2, state: "RUNNING" });
    const tokens = await t.db.select({ id: schema.joinTokens.id }).from(schema.joinTokens);
    expect(tokens.map((row) => row.id)).toEqual([(unused as { id: string }).id]);
    const [gone] = await t.db.select().from(schema.cells).where(eq(schema.cells.id, cell.cellId));
    expect(gone?.removedAt).toBeInstanceOf(Date);
  });
});
