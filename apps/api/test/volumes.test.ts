import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { expectStatus, startTestApi } from "./harness";

type Volume = { name: string; size_mb: number; shared: boolean; cell: string | null; created_at: string };

describeWith(["postgres", "nats"], "volumes", () => {
  it("creates, lists, shows and deletes a tenant's volumes", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme");
    const made = (await expectStatus(
      await t.call("/v1/volumes", { method: "POST", token: acme, json: { name: "uploads", size_mb: 1024 } }),
      201,
    )) as Volume;
    expect(made).toMatchObject({ name: "uploads", size_mb: 1024, shared: false, cell: null });
    await expectStatus(
      await t.call("/v1/volumes", {
        method: "POST",
        token: acme,
        json: { name: "cache", size_mb: 64, shared: true },
      }),
      201,
    );
    const page = (await expectStatus(await t.call("/v1/volumes?limit=1", { token: acme }), 200)) as {
      items: Volume[];
      next_cursor: string | null;
    };
    expect(page.items.map((v) => v.name)).toEqual(["cache"]);
    const rest = (await expectStatus(
      await t.call(`/v1/volumes?limit=1&cursor=${page.next_cursor}`, { token: acme }),
      200,
    )) as { items: Volume[] };
    expect(rest.items.map((v) => v.name)).toEqual(["uploads"]);
    expect(await expectStatus(await t.call("/v1/volumes/cache", { token: acme }), 200)).toMatchObject({
      shared: true,
      size_mb: 64,
    });
    await expectStatus(await t.call("/v1/volumes/cache", { method: "DELETE", token: acme }), 204);
    await expectStatus(await t.call("/v1/volumes/cache", { token: acme }), 404);
    await expectStatus(await t.call("/v1/volumes/cache", { method: "DELETE", token: acme }), 404);
  });

  it("refuses a duplicate name with 409 and bad input with problem+json, changing nothing", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme");
    const create = (json: unknown) => t.call("/v1/volumes", { method: "POST", token: acme, json });
    await expectStatus(await create({ name: "data", size_mb: 10 }), 201);
    const duplicate = await create({ name: "data", size_mb: 20 });
    expect(duplicate.headers.get("content-type")).toMatch(/application\/problem\+json/);
    await expectStatus(duplicate, 409);
    for (const bad of [
      { name: "Data!", size_mb: 10 },
      { name: "zero", size_mb: 0 },
      { name: "huge", size_mb: 1024 * 1024 + 1 },
      { name: "extra", size_mb: 1, mode: "x" },
      { name: "nosize" },
    ]) {
      const res = await create(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/);
      await res.body?.cancel();
    }
    const listed = (await expectStatus(await t.call("/v1/volumes", { token: acme }), 200)) as {
      items: Volume[];
    };
    expect(listed.items.map((v) => [v.name, v.size_mb])).toEqual([["data", 10]]);
  });

  it("keeps volumes inside their tenant: another tenant gets 404 and sees none", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme");
    const globex = await t.tenantWithToken("globex");
    await expectStatus(
      await t.call("/v1/volumes", { method: "POST", token: acme, json: { name: "secret", size_mb: 5 } }),
      201,
    );
    await expectStatus(await t.call("/v1/volumes/secret", { token: globex }), 404);
    await expectStatus(await t.call("/v1/volumes/secret", { method: "DELETE", token: globex }), 404);
    const listed = (await expectStatus(await t.call("/v1/volumes", { token: globex }), 200)) as {
      items: Volume[];
    };
    expect(listed.items).toEqual([]);
    // the same name is free in another tenant, and acme's is untouched
    await expectStatus(
      await t.call("/v1/volumes", { method: "POST", token: globex, json: { name: "secret", size_mb: 7 } }),
      201,
    );
    expect(await expectStatus(await t.call("/v1/volumes/secret", { token: acme }), 200)).toMatchObject({
      size_mb: 5,
    });
  });
});
