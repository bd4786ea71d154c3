import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { migrationsFolder } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import postgres from "postgres";
import { expect, onTestFinished } from "vitest";
import { expectStatus, startTestApi, type TestApi, webApp } from "./harness";

const createApp = (t: TestApi, token: string, json: unknown) =>
  t.call("/v1/apps", { method: "POST", token, json });

describeWith(["root", "postgres", "nats"], "spaces", () => {
  it("tenant admins create spaces, developers cannot, and each tenant sees only its own", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    const dev = (
      (await expectStatus(
        await t.call("/v1/tokens", {
          method: "POST",
          token: admin,
          json: { role: "developer", tenant: "acme" },
        }),
        201,
      )) as { token: string }
    ).token;
    const other = await t.tenantWithToken("other", "tenant_admin");

    const made = await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } });
    expect(made.headers.get("location")).toBe("/v1/spaces/dev");
    expect(await expectStatus(made, 201)).toMatchObject({ name: "dev" });
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } }),
      409,
    );
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: dev, json: { name: "prod" } }),
      403,
    );
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "No!" } }),
      400,
    );
    const listed = (await expectStatus(await t.call("/v1/spaces", { token: dev }), 200)) as {
      items: { name: string }[];
    };
    // a developer token with no space role sees no space
    expect(listed.items).toEqual([]);
    const all = (await expectStatus(await t.call("/v1/spaces", { token: admin }), 200)) as {
      items: { name: string }[];
    };
    expect(all.items.map((s) => s.name)).toEqual(["default", "dev"]);
    const theirs = (await expectStatus(await t.call("/v1/spaces", { token: other }), 200)) as {
      items: { name: string }[];
    };
    expect(theirs.items.map((s) => s.name)).toEqual(["default"]);
    await expectStatus(await t.call("/v1/spaces/dev/quota", { token: other }), 404);
    await expectStatus(
      await t.call("/v1/spaces/dev/quota", { method: "PATCH", token: dev, json: { memory_mb: 1 } }),
      403,
    );
  });

  it("puts apps in the default space unless told, and lists the apps of one space", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } }),
      201,
    );
    expect(await expectStatus(await createApp(t, admin, webApp("web")), 201)).toMatchObject({
      space: "default",
    });
    expect(await expectStatus(await createApp(t, admin, webApp("api", { space: "dev" })), 201)).toMatchObject(
      {
        space: "dev",
      },
    );
    await expectStatus(await createApp(t, admin, webApp("x", { space: "nope" })), 404);
    const inDev = (await expectStatus(await t.call("/v1/apps?space=dev", { token: admin }), 200)) as {
      items: { name: string; space: string }[];
    };
    expect(inDev.items).toMatchObject([{ name: "api", space: "dev" }]);
    const all = (await expectStatus(await t.call("/v1/apps", { token: admin }), 200)) as { items: unknown[] };
    expect(all.items).toHaveLength(2);
    expect(
      await expectStatus(
        await t.call("/v1/apps/api", { method: "PATCH", token: admin, json: { instances: 2 } }),
        200,
      ),
    ).toMatchObject({ space: "dev", instances: 2 });
  });

  it("admits a change only when both the space's and the tenant's quota allow it", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } }),
      201,
    );
    await expectStatus(await createApp(t, admin, webApp("api", { space: "dev", memory_mb: 256 })), 201);
    await expectStatus(await createApp(t, admin, webApp("web", { memory_mb: 256 })), 201);
    const set = await t.call("/v1/spaces/dev/quota", {
      method: "PATCH",
      token: admin,
      json: { memory_mb: 512 },
    });
    expect(await expectStatus(set, 200)).toMatchObject({
      tenant: "acme",
      space: "dev",
      memory_mb: { limit: 512, usage: 256 },
    });
    await expectStatus(
      await t.call("/v1/spaces/dev/quota", {
        method: "PATCH",
        token: admin,
        json: { memory_mb: 1024 },
        headers: { "if-match": '"stale.1"' },
      }),
      412,
    );

    const scale = (name: string, instances: number) =>
      t.call(`/v1/apps/${name}`, { method: "PATCH", token: admin, json: { instances } });
    const bySpace = (await expectStatus(await scale("api", 3), 422)) as { quota: unknown; detail: string };
    expect(bySpace.quota).toEqual({
      scope: "space",
      space: "dev",
      field: "memory_mb",
      limit: 512,
      usage: 256,
      asked: 512,
    });
    expect(bySpace.detail).toContain("space dev's memory_mb quota is 512 MB");
    await expectStatus(await scale("web", 3), 200); // the default space has no quota of its own
    await expectStatus(await scale("api", 2), 200);

    // the tenant's quota binds as well, even where the space's would allow more
    await expectStatus(
      await t.call("/v1/spaces/dev/quota", { method: "PATCH", token: admin, json: { memory_mb: null } }),
      200,
    );
    await expectStatus(
      await t.call("/v1/tenants/acme/quota", { method: "PATCH", json: { memory_mb: 1400 } }),
      200,
    );
    const byTenant = (await expectStatus(await scale("api", 3), 422)) as { quota: unknown };
    expect(byTenant.quota).toMatchObject({ scope: "tenant", field: "memory_mb", limit: 1400, usage: 1280 });
    expect(await expectStatus(await t.call("/v1/spaces/dev/quota", { token: admin }), 200)).toMatchObject({
      memory_mb: { limit: null, usage: 512 },
      apps: { usage: 1 },
    });
  });

  it("the migration moves existing apps into a default space of their tenant", async ({ pg }) => {
    const name = `m_${randomBytes(5).toString("hex")}`;
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const db = postgres(pg.url.replace(/\/postgres$/, `/${name}`), { max: 1, onnotice: () => {} });
    onTestFinished(() => db.end());
    const files = (await readdir(migrationsFolder)).filter((f) => f.endsWith(".sql")).sort();
    const run = async (file: string) => {
      const text = await readFile(join(migrationsFolder, file), "utf8");
      for (const statement of text.split("--> statement-breakpoint"))
        if (statement.trim()) await db.unsafe(statement);
    };
    const spacesAt = files.findIndex((f) => f.endsWith("_spaces.sql"));
    for (const file of files.slice(0, spacesAt)) await run(file);
    const [tenant] = await db`insert into tenants (name) values ('acme') returning id`;
    await db`insert into apps (tenant_id, name, stack, command, instances, memory_mb, disk_mb, health_check)
      values (${tenant?.id}, 'web', 'busybox', 'true', 1, 256, 1024, '{}'::jsonb)`;
    for (const file of files.slice(spacesAt)) await run(file);
    const rows = await db`select a.name, s.name as space from apps a join spaces s on s.id = a.space_id`;
    expect(rows.map((r) => ({ ...r }))).toEqual([{ name: "web", space: "default" }]);
  });
});
