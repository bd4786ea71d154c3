import { describeWith, it } from "@grove/testkit";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { expectStatus, startTestApi, webApp } from "./harness";

interface AppBody {
  revision: number;
  instances: number;
  state: string;
  env: Record<string, string>;
  health_check: { type: string; timeout_ms: number };
}

describeWith(["root", "postgres", "nats"], "apps (desired state)", () => {
  it("creates an app with defaults at revision 1", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    const res = await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() });
    expect(res.headers.get("location")).toBe("/v1/apps/web");
    expect(await expectStatus(res, 201)).toMatchObject({
      name: "web",
      revision: 1,
      state: "started",
      stack: "busybox",
      instances: 1,
      memory_mb: 256,
      disk_mb: 1024,
      ports: [8080],
      health_check: { type: "port", timeout_ms: 1000, start_timeout_ms: 60_000 },
      bits_digest: null,
    });
  });

  it("bumps the revision for command, env, memory, disk, stack or health check changes only", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    const patch = async (json: unknown) =>
      (await expectStatus(
        await t.call("/v1/apps/web", { method: "PATCH", token: dev, json }),
        200,
      )) as AppBody;
    expect((await patch({ instances: 4 })).revision).toBe(1);
    expect(
      (await t.call("/v1/apps/web/stop", { method: "POST", token: dev }).then((r) => r.json())) as AppBody,
    ).toMatchObject({ revision: 1, state: "stopped" });
    expect((await patch({ env: { A: "1" } })).revision).toBe(2);
    expect((await patch({ env: { A: "1" } })).revision).toBe(2);
    expect((await patch({ command: "httpd -f -p 9090" })).revision).toBe(3);
    expect((await patch({ memory_mb: 512 })).revision).toBe(4);
    expect((await patch({ disk_mb: 2048 })).revision).toBe(5);
    expect((await patch({ stack: "alpine" })).revision).toBe(6);
    expect((await patch({ health_check: { type: "process" } })).revision).toBe(7);
    const last = await patch({ instances: 2 });
    expect(last).toMatchObject({ revision: 7, instances: 2, state: "stopped", env: { A: "1" } });
    const rows = await t.db.execute<{ revision: number }>(
      sql`select revision from app_revisions order by revision`,
    );
    expect([...rows].map((r) => r.revision)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("rejects unknown fields and bad values in updates, naming them", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    const bad = (await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: -1 } }),
      400,
    )) as { errors: { field: string }[] };
    expect(bad.errors.map((e) => e.field)).toEqual(["instances"]);
    const unknown = await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { name: "renamed" } });
    await expectStatus(unknown, 400);
  });

  it("starts, stops, restarts and deletes, recording each in the app's events", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    for (const action of ["stop", "start", "restart"]) {
      await expectStatus(await t.call(`/v1/apps/web/${action}`, { method: "POST", token: dev }), 200);
    }
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: 3 } }),
      200,
    );
    const page = (await expectStatus(await t.call("/v1/apps/web/events?limit=3", { token: dev }), 200)) as {
      items: { kind: string; data: Record<string, unknown> }[];
      next_cursor: string;
    };
    expect(page.items.map((e) => e.kind)).toEqual(["scaled", "restarted", "started"]);
    expect(page.items[0]?.data.instances).toEqual({ from: 1, to: 3 });
    const rest = (await expectStatus(
      await t.call(`/v1/apps/web/events?limit=3&cursor=${page.next_cursor}`, { token: dev }),
      200,
    )) as { items: { kind: string }[]; next_cursor: null };
    expect(rest).toMatchObject({ next_cursor: null });
    expect(rest.items.map((e) => e.kind)).toEqual(["stopped", "created"]);
    await expectStatus(await t.call("/v1/apps/web", { method: "DELETE", token: dev }), 204);
    await expectStatus(await t.call("/v1/apps/web", { token: dev }), 404);
  });
});
