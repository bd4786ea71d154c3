import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi, type TestApi } from "./harness";

interface Listed {
  id: string;
  name: string;
  role: string;
  tenant: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

async function issue(t: TestApi, by: string | undefined, json: Record<string, unknown>) {
  const res = await t.call("/v1/tokens", { method: "POST", token: by, json });
  return (await expectStatus(res, 201)) as { id: string; token: string; expires_at: string | null };
}

async function listAll(t: TestApi, token?: string, query = ""): Promise<Listed[]> {
  const items: Listed[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams(query);
    params.set("limit", "2");
    if (cursor) params.set("cursor", cursor);
    const page = (await expectStatus(await t.call(`/v1/tokens?${params}`, { token }), 200)) as {
      items: Listed[];
      next_cursor: string | null;
    };
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

describeWith(["root", "postgres", "nats"], "API tokens", () => {
  it("lists tokens by page without secrets: operators all, tenant admins their tenant's", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    await t.tenantWithToken("globex");
    const ci = await issue(t, admin, {
      role: "developer",
      tenant: "acme",
      name: "ci",
      expires_in_seconds: 86_400,
    });
    await issue(t, admin, { role: "developer", tenant: "acme", name: "laptop" });
    await expectStatus(await t.call("/v1/apps", { token: ci.token }), 200);

    const mine = await listAll(t, admin);
    expect(mine.map((token) => token.name)).toEqual(["", "ci", "laptop"]);
    expect(mine.every((token) => token.tenant === "acme")).toBe(true);
    const listedCi = mine.find((token) => token.id === ci.id);
    expect(listedCi).toMatchObject({ role: "developer", expires_at: ci.expires_at });
    expect(listedCi?.last_used_at).not.toBeNull();
    expect(JSON.stringify(mine)).not.toContain(ci.token);

    const all = await listAll(t);
    expect(all.map((token) => token.tenant)).toEqual([null, "acme", "globex", "acme", "acme"]);
    expect((await listAll(t, undefined, "tenant=globex")).map((token) => token.tenant)).toEqual(["globex"]);
    await expectStatus(await t.call("/v1/tokens?tenant=globex", { token: admin }), 404);
    await expectStatus(await t.call("/v1/tokens", { token: ci.token }), 403);
  });

  it("lets tenant admins revoke only their tenant's tokens; developers none", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    const other = await t.tenantWithToken("globex", "tenant_admin");
    const dev = await issue(t, admin, { role: "developer", tenant: "acme", name: "dev" });
    const globexDev = await issue(t, other, { role: "developer", tenant: "globex", name: "dev" });
    const operators = await listAll(t, undefined, "");
    const bootstrap = operators.find((token) => token.role === "operator") as Listed;

    await expectStatus(await t.call(`/v1/tokens/${globexDev.id}`, { method: "DELETE", token: admin }), 404);
    await expectStatus(await t.call(`/v1/tokens/${bootstrap.id}`, { method: "DELETE", token: admin }), 404);
    await expectStatus(
      await t.call(`/v1/tokens/${globexDev.id}`, { method: "DELETE", token: dev.token }),
      403,
    );
    await expectStatus(await t.call("/v1/tokens/not-a-uuid", { method: "DELETE", token: admin }), 404);
    await expectStatus(await t.call("/v1/apps", { token: globexDev.token }), 200);

    await expectStatus(await t.call(`/v1/tokens/${globexDev.id}`, { method: "DELETE" }), 204);
    await expectStatus(await t.call(`/v1/tokens/${globexDev.id}`, { method: "DELETE" }), 404);
    await expectStatus(await t.call("/v1/apps", { token: globexDev.token }), 401);
  });

  it("refuses an expiry under a minute with 400 naming the field", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    await t.tenantWithToken("acme");
    const res = await t.call("/v1/tokens", {
      method: "POST",
      json: { role: "developer", tenant: "acme", expires_in_seconds: 5 },
    });
    const problem = (await expectStatus(res, 400)) as { errors: { field: string }[] };
    expect(problem.errors[0]?.field).toBe("expires_in_seconds");
    expect(await listAll(t, undefined, "tenant=acme")).toHaveLength(1);
  });
});

describeWith(["root", "postgres", "nats"], "join tokens", () => {
  it("are created with uses and an expiry, listed without secrets, and revoked", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const before = Date.now();
    const created = (await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 3, expires_in_seconds: 7200 } }),
      201,
    )) as { id: string; token: string; expires_at: string; uses: number; max_uses: number; state: string };
    expect(created).toMatchObject({ uses: 0, max_uses: 3, state: "usable" });
    expect(Date.parse(created.expires_at) - before).toBeGreaterThanOrEqual(7_199_000);
    const single = (await expectStatus(await t.call("/v1/cells/tokens", { method: "POST" }), 201)) as {
      id: string;
      max_uses: number;
      expires_at: string;
    };
    expect(single.max_uses).toBe(1);
    expect(Date.parse(single.expires_at) - before).toBeLessThanOrEqual(3_601_000);

    const page = (await expectStatus(await t.call("/v1/cells/tokens?limit=1"), 200)) as {
      items: { id: string }[];
      next_cursor: string;
    };
    expect(page.items.map((token) => token.id)).toEqual([created.id]);
    const next = (await expectStatus(
      await t.call(`/v1/cells/tokens?limit=1&cursor=${page.next_cursor}`),
      200,
    )) as { items: { id: string }[]; next_cursor: string | null };
    expect(next).toEqual({ items: [expect.objectContaining({ id: single.id })], next_cursor: null });
    expect(JSON.stringify(page)).not.toContain(created.token);

    const dev = await t.tenantWithToken("acme", "tenant_admin");
    await expectStatus(await t.call("/v1/cells/tokens", { token: dev }), 403);
    await expectStatus(await t.call(`/v1/cells/tokens/${created.id}`, { method: "DELETE", token: dev }), 403);
    await expectStatus(await t.call(`/v1/cells/tokens/${created.id}`, { method: "DELETE" }), 204);
    const after = (await expectStatus(await t.call("/v1/cells/tokens"), 200)) as { items: { id: string }[] };
    expect(after.items.map((token) => token.id)).toEqual([single.id]);
    await expectStatus(await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 0 } }), 400);
  });
});
