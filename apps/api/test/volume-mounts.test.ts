import { randomUUID } from "node:crypto";
import { describeWith, it } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";

type Problem = { type: string; detail: string; used_by?: { apps: string[]; instances: unknown[] } };

const createVolume = (t: TestApi, token: string, json: Record<string, unknown>) =>
  t.call("/v1/volumes", { method: "POST", token, json });
const createApp = (t: TestApi, token: string, json: Record<string, unknown>) =>
  t.call("/v1/apps", { method: "POST", token, json });
const patchApp = (t: TestApi, token: string, name: string, json: Record<string, unknown>) =>
  t.call(`/v1/apps/${name}`, { method: "PATCH", token, json });

async function pushApp(t: TestApi, token: string, body: Record<string, unknown>): Promise<void> {
  await expectStatus(await createApp(t, token, body), 201);
  const tar = await tarOf({ "app.sh": "httpd" });
  await expectStatus(await t.call(`/v1/apps/${body.name}/bits`, { method: "PUT", token, body: tar }), 200);
}

async function joinToken(t: TestApi): Promise<string> {
  const res = await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 2 } });
  return ((await expectStatus(res, 201)) as { token: string }).token;
}

describeWith(["postgres", "nats"], "volume mounts", () => {
  it("mounts only volumes of the app's tenant and space: any other is 404, like a missing one", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme", "tenant_admin");
    const globex = await t.tenantWithToken("globex", "tenant_admin");
    await expectStatus(await createVolume(t, acme, { name: "data", size_mb: 16 }), 201);
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: acme, json: { name: "dev" } }),
      201,
    );
    const mount = { volumes: [{ name: "data", path: "/data" }] };

    const theirs = (await expectStatus(await createApp(t, globex, webApp("web", mount)), 404)) as Problem;
    const missing = (await expectStatus(
      await createApp(t, globex, webApp("web", { volumes: [{ name: "nope", path: "/data" }] })),
      404,
    )) as Problem;
    expect(theirs.detail).toBe("no volume data");
    expect(missing.detail).toBe("no volume nope");
    await expectStatus(await createApp(t, acme, webApp("web", { ...mount, space: "dev" })), 404);
    for (const path of ["data", "/proc/x", "/", "/a/../b", "/home/vcap/app"]) {
      const res = await createApp(t, acme, webApp("web", { volumes: [{ name: "data", path }] }));
      expect(res.status, path).toBe(400);
      await res.body?.cancel();
    }
    // nothing was made by the refusals; the right space mounts it, read-only if asked
    await expectStatus(await t.call("/v1/apps/web", { token: acme }), 404);
    const made = await expectStatus(
      await createApp(t, acme, webApp("web", { volumes: [{ name: "data", path: "/srv", read_only: true }] })),
      201,
    );
    expect(made).toMatchObject({ volumes: [{ name: "data", path: "/srv", read_only: true }], revision: 1 });
    const changed = await expectStatus(await patchApp(t, acme, "web", mount), 200);
    expect(changed).toMatchObject({
      volumes: [{ name: "data", path: "/data", read_only: false }],
      revision: 2,
    });
    await expectStatus(await patchApp(t, globex, "web", mount), 404);
  });

  it("single-writer volumes: one app, one instance (422 otherwise); shared ones mount anywhere", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const acme = await t.tenantWithToken("acme", "tenant_admin");
    await expectStatus(await createVolume(t, acme, { name: "solo", size_mb: 16 }), 201);
    await expectStatus(await createVolume(t, acme, { name: "cache", size_mb: 16, shared: true }), 201);
    const solo = { volumes: [{ name: "solo", path: "/data" }] };
    await expectStatus(await createApp(t, acme, webApp("db", { ...solo, instances: 1 })), 201);
    const scaled = (await expectStatus(await patchApp(t, acme, "db", { instances: 2 }), 422)) as Problem;
    expect(scaled.type).toBe("urn:grove:problem:single-writer-volume");
    expect(scaled.detail).toMatch(/volume solo is single-writer \(one instance at a time\).*cannot run 2/);
    const second = (await expectStatus(
      await createApp(t, acme, webApp("db2", { ...solo, instances: 1 })),
      422,
    )) as Problem;
    expect(second.detail).toMatch(/app db mounts it/);
    await expectStatus(await createApp(t, acme, webApp("db3", { ...solo, instances: 3 })), 422);
    expect(await expectStatus(await t.call("/v1/apps/db", { token: acme }), 200)).toMatchObject({
      instances: 1,
    });
    // scaling to zero and back is fine
    await expectStatus(await patchApp(t, acme, "db", { instances: 0 }), 200);
    await expectStatus(await patchApp(t, acme, "db", { instances: 1 }), 200);

    const cache = { volumes: [{ name: "cache", path: "/cache" }] };
    await expectStatus(await createApp(t, acme, webApp("web", { ...cache, instances: 3 })), 201);
    await expectStatus(await createApp(t, acme, webApp("api", { ...cache, instances: 2 })), 201);
  });

  it("places every instance of a volume on the cell its data lives on, sends the mounts, stops before starting a single-writer's new revision", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "500" });
    const token = await joinToken(t);
    const a = await joinHollowCell(t.nc, token, "hollow-a");
    const b = await joinHollowCell(t.nc, token, "hollow-b");
    const acme = await t.tenantWithToken("acme", "tenant_admin");
    const cache = (await expectStatus(
      await createVolume(t, acme, { name: "cache", size_mb: 32, shared: true }),
      201,
    )) as { cell: string | null };
    expect(cache.cell).toBeNull();
    await pushApp(t, acme, webApp("web", { instances: 3, volumes: [{ name: "cache", path: "/cache" }] }));
    await eventually(async () => (a.starts.length + b.starts.length === 3 ? true : undefined));
    // no spreading: the data has one home
    const home = a.starts.length === 3 ? a : b;
    expect(home.starts.map((s) => s.volumes)).toEqual(
      Array(3).fill([{ id: expect.any(String), sizeMb: 32, shared: true, path: "/cache", readOnly: false }]),
    );
    const shown = (await expectStatus(await t.call("/v1/volumes/cache", { token: acme }), 200)) as {
      cell: string;
    };
    expect(shown.cell).toBe(home === a ? "hollow-a" : "hollow-b");
    await pushApp(t, acme, webApp("reader", { volumes: [{ name: "cache", path: "/in", read_only: true }] }));
    await eventually(async () => (home.starts.length === 4 ? true : undefined));
    expect(home.starts[3]?.volumes[0]).toMatchObject({ path: "/in", readOnly: true });

    // a single-writer app's new revision: the old instance is stopped before the new one starts
    await expectStatus(await createVolume(t, acme, { name: "solo", size_mb: 8 }), 201);
    await pushApp(t, acme, webApp("db", { volumes: [{ name: "solo", path: "/data" }] }));
    const first = await eventually(async () =>
      [...a.starts, ...b.starts].find(
        (s) => s.appId !== home.starts[0]?.appId && s.volumes[0]?.path === "/data",
      ),
    );
    const dbCell = a.starts.includes(first) ? a : b;
    await dbCell.report(first, "RUNNING");
    await expectStatus(await patchApp(t, acme, "db", { env: { V: "2" } }), 200);
    const next = await eventually(async () =>
      dbCell.starts.find((s) => s.appId === first.appId && s.revision > first.revision),
    );
    const order = dbCell.commands.filter((c) => c.endsWith(first.instanceId) || c.endsWith(next.instanceId));
    expect(order).toEqual([
      `start:${first.instanceId}`,
      `stop:${first.instanceId}`,
      `start:${next.instanceId}`,
    ]);
    a.stop();
    b.stop();
  });

  it("refuses to delete a volume in use, naming apps and instances; a delete frees it on its cell, and the leader removes volumes that no longer exist", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "500" });
    const cell = await joinHollowCell(t.nc, await joinToken(t), "hollow-a");
    onTestFinished(() => cell.stop());
    cell.startHeartbeats(200);
    const acme = await t.tenantWithToken("acme", "tenant_admin");
    await expectStatus(await createVolume(t, acme, { name: "data", size_mb: 8 }), 201);
    await pushApp(t, acme, webApp("web", { volumes: [{ name: "data", path: "/data" }] }));
    const start = await eventually(async () => cell.starts[0]);
    const volumeId = start.volumes[0]?.id as string;
    await cell.report(start, "RUNNING");
    await eventually(async () => {
      const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token: acme }), 200)) as {
        items: { state: string }[];
      };
      return page.items[0]?.state === "RUNNING" ? true : undefined;
    });

    const refused = (await expectStatus(
      await t.call("/v1/volumes/data", { method: "DELETE", token: acme }),
      409,
    )) as Problem;
    expect(refused.type).toBe("urn:grove:problem:volume-in-use");
    expect(refused.detail).toMatch(/volume data is in use: mounted by app web; held by instance web\/0/);
    expect(refused.used_by).toMatchObject({
      apps: ["web"],
      instances: [{ app: "web", index: 0, state: "RUNNING", cell: "hollow-a" }],
    });
    // removing the mount from the app is not enough while its old instance still holds the volume
    await expectStatus(await patchApp(t, acme, "web", { volumes: [] }), 200);
    await expectStatus(await t.call("/v1/volumes/data", { method: "DELETE", token: acme }), 409);
    const replacement = await eventually(async () => cell.starts[1]);
    expect(replacement.volumes).toEqual([]);
    await cell.report(replacement, "RUNNING");
    await eventually(async () => (cell.stops.includes(start.instanceId) ? true : undefined));
    await expectStatus(await t.call("/v1/volumes/data", { method: "DELETE", token: acme }), 204);
    expect(cell.removedVolumes).toContain(volumeId);
    await expectStatus(await t.call("/v1/volumes/data", { token: acme }), 404);

    // a cell holding a volume that no longer exists (deleted while it was away) is told to remove it
    const gone = randomUUID();
    cell.volumes.add(gone);
    await eventually(async () => (cell.removedVolumes.includes(gone) ? true : undefined));
    cell.stop();
  });

  it("counts volumes and their size against the tenant's and the space's quotas, in the create's transaction", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    await expectStatus(
      await t.call("/v1/tenants/acme/quota", { method: "PATCH", json: { volumes: 2, volume_mb: 100 } }),
      200,
    );
    await expectStatus(await createVolume(t, admin, { name: "a", size_mb: 60 }), 201);
    const tooBig = (await expectStatus(await createVolume(t, admin, { name: "b", size_mb: 41 }), 422)) as {
      quota: unknown;
    };
    expect(tooBig.quota).toEqual({ scope: "tenant", field: "volume_mb", limit: 100, usage: 60, asked: 41 });
    await expectStatus(await createVolume(t, admin, { name: "b", size_mb: 40 }), 201);
    const tooMany = (await expectStatus(await createVolume(t, admin, { name: "c", size_mb: 1 }), 422)) as {
      quota: unknown;
    };
    expect(tooMany.quota).toMatchObject({ scope: "tenant", field: "volumes", limit: 2, usage: 2, asked: 1 });
    expect(await expectStatus(await t.call("/v1/quota", { token: admin }), 200)).toMatchObject({
      volumes: { limit: 2, usage: 2 },
      volume_mb: { limit: 100, usage: 100 },
    });

    // a space's quota binds beside the tenant's
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } }),
      201,
    );
    await expectStatus(
      await t.call("/v1/tenants/acme/quota", { method: "PATCH", json: { volumes: null, volume_mb: null } }),
      200,
    );
    await expectStatus(
      await t.call("/v1/spaces/dev/quota", { method: "PATCH", token: admin, json: { volume_mb: 10 } }),
      200,
    );
    const inSpace = (await expectStatus(
      await createVolume(t, admin, { name: "d", size_mb: 11, space: "dev" }),
      422,
    )) as { quota: unknown };
    expect(inSpace.quota).toMatchObject({ scope: "space", space: "dev", field: "volume_mb" });
    expect(
      await expectStatus(await createVolume(t, admin, { name: "d", size_mb: 10, space: "dev" }), 201),
    ).toMatchObject({
      space: "dev",
    });
    // concurrent creates never pass the limit
    await expectStatus(
      await t.call("/v1/spaces/dev/quota", {
        method: "PATCH",
        token: admin,
        json: { volume_mb: null, volumes: 5 },
      }),
      200,
    );
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        createVolume(t, admin, { name: `r${i}`, size_mb: 1, space: "dev" }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(4);
    expect(results.filter((r) => r.status === 422)).toHaveLength(8);
    for (const r of results) await r.body?.cancel();
    // deleting frees the quota
    await expectStatus(await t.call("/v1/volumes/a", { method: "DELETE", token: admin }), 204);
    expect(await expectStatus(await t.call("/v1/quota", { token: admin }), 200)).toMatchObject({
      volume_mb: { usage: 40 + 10 + 4 },
    });
  });
});
