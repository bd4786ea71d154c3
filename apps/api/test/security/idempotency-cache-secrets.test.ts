import { schema } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { hashToken } from "../../src/auth/tokens";
import { expectStatus, startTestApi } from "../harness";

describeWith(["root", "postgres", "nats"], "security: the idempotency cache", () => {
  it("keeps no plain API or join token, and a replay gets a 409 instead of the secret", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    await t.tenantWithToken("acme");
    const createToken = () =>
      t.call("/v1/tokens", {
        method: "POST",
        headers: { "idempotency-key": "token-1" },
        json: { role: "developer", tenant: "acme", name: "ci" },
      });
    const createJoinToken = () =>
      t.call("/v1/cells/tokens", {
        method: "POST",
        headers: { "idempotency-key": "join-1" },
        json: { uses: 2 },
      });
    const apiToken = (await expectStatus(await createToken(), 201)) as { id: string; token: string };
    const joinToken = (await expectStatus(await createJoinToken(), 201)) as { id: string; token: string };

    const rows = await t.db.select().from(schema.idempotencyKeys);
    expect(rows.map((row) => row.key).sort()).toEqual(["join-1", "token-1"]);
    const stored = JSON.stringify(rows);
    for (const secret of [apiToken.token, joinToken.token]) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(hashToken(secret));
    }

    for (const [replay, id] of [
      [createToken, apiToken.id],
      [createJoinToken, joinToken.id],
    ] as const) {
      const problem = (await expectStatus(await replay(), 409)) as { type: string; detail: string };
      expect(problem.type).toBe("urn:grove:problem:secret-shown-once");
      expect(problem.detail).toContain(id);
    }
    // the replays made nothing new
    const tokens = (await expectStatus(await t.call("/v1/tokens?tenant=acme"), 200)) as { items: unknown[] };
    expect(tokens.items).toHaveLength(2);
    const joins = (await expectStatus(await t.call("/v1/cells/tokens"), 200)) as { items: unknown[] };
    expect(joins.items).toHaveLength(1);
  });
});
