import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { pruneExpired } from "../src/maintenance";
import { principalForToken } from "../src/repo/tokens";
import { expectStatus, OPERATOR, startTestApi, webApp } from "./harness";

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
});
