import { describeWith, it } from "@grove/testkit";
import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";

interface Limit {
  limit: number | null;
  usage: number | null;
}
type QuotaBody = Record<"memory_mb" | "instance_memory_mb" | "instances" | "apps" | "disk_mb", Limit> & {
  tenant: string;
  routes: Limit;
  log_lines_per_second: Limit;
};
interface AppBody {
  name: string;
  state: "started" | "stopped";
  instances: number;
  memory_mb: number;
  disk_mb: number;
  version?: number;
}

const setQuota = (t: TestApi, tenant: string, json: unknown, headers: Record<string, string> = {}) =>
  t.call(`/v1/tenants/${tenant}/quota`, { method: "PATCH", json, headers });

describeWith(["root", "postgres", "nats"], "tenant quotas", () => {
  it("shows each limit beside its usage; operators change it with If-Match, members cannot", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const admin = await t.tenantWithToken("acme", "tenant_admin");
    const other = await t.tenantWithToken("other", "tenant_admin");
    await expectStatus(
      await t.call("/v1/apps", {
        method: "POST",
        token: admin,
        json: webApp("web", { instances: 2, memory_mb: 128 }),
      }),
      201,
    );
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: admin, json: webApp("off", { instances: 3 }) }),
      201,
    );
    await expectStatus(await t.call("/v1/apps/off/stop", { method: "POST", token: admin }), 200);

    const first = await t.call("/v1/quota", { token: admin });
    const etag = first.headers.get("etag") as string;
    expect(await expectStatus(first, 200)).toEqual({
      tenant: "acme",
      memory_mb: { limit: null, usage: 256 },
      instance_memory_mb: { limit: null, usage: 128 },
      instances: { limit: null, usage: 2 },
      apps: { limit: null, usage: 2 },
      disk_mb: { limit: null, usage: 2048 },
      routes: { limit: null, usage: 2 },
      log_lines_per_second: { limit: null, usage: null },
      volumes: { limit: null, usage: 0 },
      volume_mb: { limit: null, usage: 0 },
      updated_at: null,
    });

    await expectStatus(
      await t.call("/v1/tenants/acme/quota", { method: "PATCH", token: admin, json: { memory_mb: 1 } }),
      403,
    );
    await expectStatus(await t.call("/v1/tenants/acme/quota", { token: other }), 404);
    const set = await setQuota(
      t,
      "acme",
      { memory_mb: 1024, instances: 10, routes: 5, log_lines_per_second: 100 },
      { "if-match": etag },
    );
    expect(await expectStatus(set, 200)).toMatchObject({
      memory_mb: { limit: 1024, usage: 256 },
      instances: { limit: 10, usage: 2 },
      routes: { limit: 5, usage: 2 },
      log_lines_per_second: { limit: 100, usage: null },
      apps: { limit: null },
    });
    expect(set.headers.get("etag")).not.toBe(etag);
    await expectStatus(await setQuota(t, "acme", { memory_mb: 2048 }, { "if-match": etag }), 412);
    await expectStatus(await setQuota(t, "acme", { memory_mb: -1 }), 400);
    await expectStatus(await setQuota(t, "acme", { cpu: 1 }), 400);
    await expectStatus(await setQuota(t, "acme", { instances: null }), 200);
    expect(
      await expectStatus(await t.call("/v1/quota", { headers: { "X-Grove-Tenant": "acme" } }), 200),
    ).toMatchObject({ memory_mb: { limit: 1024 }, instances: { limit: null } });
    expect(await expectStatus(await t.call("/v1/tenants/acme/quota", { token: admin }), 200)).toMatchObject({
      tenant: "acme",
    });
  });

  it("refuses growth past a limit with 422 naming limit, usage and ask, and changes nothing", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(
      await t.call("/v1/apps", {
        method: "POST",
        token: dev,
        json: webApp("web", { instances: 2, memory_mb: 256 }),
      }),
      201,
    );
    await expectStatus(await setQuota(t, "acme", { memory_mb: 1024, instance_memory_mb: 512, apps: 1 }), 200);
    const before = await t.call("/v1/apps/web", { token: dev });
    const etag = before.headers.get("etag");

    const refused = await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: 5 } });
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await refused.json()) as { type: string; detail: string; quota: unknown };
    expect(problem.type).toBe("urn:grove:problem:quota-exceeded");
    expect(problem.quota).toEqual({
      scope: "tenant",
      field: "memory_mb",
      limit: 1024,
      usage: 512,
      asked: 768,
    });
    expect(problem.detail).toContain("1024");

    const tooBig = await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { memory_mb: 1024 } });
    expect(((await expectStatus(tooBig, 422)) as { quota: unknown }).quota).toMatchObject({
      field: "instance_memory_mb",
      limit: 512,
      asked: 1024,
    });
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("b", { memory_mb: 512 }) }),
      422,
    );

    const after = await t.call("/v1/apps/web", { token: dev });
    expect(after.headers.get("etag")).toBe(etag);
    expect(await after.json()).toMatchObject({ instances: 2, memory_mb: 256 });
    const events = await t.db.execute<{ kind: string }>(sql`select kind from app_events order by id`);
    expect(events.map((e) => e.kind)).toEqual(["created"]);
    const appsLeft = await t.db.execute<{ n: number }>(sql`select count(*)::int as n from apps`);
    expect(appsLeft[0]?.n).toBe(1);

    // exactly up to the limit is fine
    await expectStatus(
      await t.call("/v1/apps/web", { method: "PATCH", token: dev, json: { instances: 4 } }),
      200,
    );
  });

  it("counts each app's default route: a routes quota refuses a new app, not a scale", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await setQuota(t, "acme", { routes: 1 }), 200);
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("one") }), 201);
    const refused = await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("two") });
    expect(((await expectStatus(refused, 422)) as { quota: unknown }).quota).toEqual({
      scope: "tenant",
      field: "routes",
      limit: 1,
      usage: 1,
      asked: 1,
    });
    await expectStatus(await t.call("/v1/apps/two", { token: dev }), 404);
    await expectStatus(
      await t.call("/v1/apps/one", { method: "PATCH", token: dev, json: { instances: 2 } }),
      200,
    );
    expect(
      ((await expectStatus(await t.call("/v1/quota", { token: dev }), 200)) as QuotaBody).routes,
    ).toEqual({
      limit: 1,
      usage: 1,
    });
  });

  it("a quota lowered below usage stops nothing, blocks growth, and always allows scaling down", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("acme");
    await expectStatus(
      await t.call("/v1/apps", {
        method: "POST",
        token: dev,
        json: webApp("web", { instances: 4, memory_mb: 512 }),
      }),
      201,
    );
    await expectStatus(
      await setQuota(t, "acme", { memory_mb: 512, instances: 1, instance_memory_mb: 256 }),
      200,
    );
    const shown = (await expectStatus(await t.call("/v1/apps/web", { token: dev }), 200)) as AppBody;
    expect(shown).toMatchObject({ state: "started", instances: 4, memory_mb: 512 });

    const patch = (json: unknown) => t.call("/v1/apps/web", { method: "PATCH", token: dev, json });
    await expectStatus(await patch({ instances: 5 }), 422);
    expect(((await expectStatus(await patch({ instances: 3 }), 200)) as AppBody).instances).toBe(3);
    expect(((await expectStatus(await patch({ memory_mb: 256 }), 200)) as AppBody).memory_mb).toBe(256);
    // a new revision of the same size grows nothing, so it is admitted
    await expectStatus(await patch({ env: { A: "1" } }), 200);
    await expectStatus(await patch({ instances: 4 }), 422);

    // stopped apps count only as apps; starting needs room again
    await expectStatus(await t.call("/v1/apps/web/stop", { method: "POST", token: dev }), 200);
    expect(await expectStatus(await t.call("/v1/quota", { token: dev }), 200)).toMatchObject({
      memory_mb: { usage: 0 },
      instances: { usage: 0 },
      apps: { usage: 1 },
    });
    await expectStatus(await patch({ instances: 1 }), 200);
    await expectStatus(await t.call("/v1/apps/web/start", { method: "POST", token: dev }), 200);
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("two", { memory_mb: 256 }) }),
      422,
    );
    // deleting frees at once
    await expectStatus(await t.call("/v1/apps/web", { method: "DELETE", token: dev }), 204);
    await expectStatus(
      await t.call("/v1/apps", { method: "POST", token: dev, json: webApp("two", { memory_mb: 256 }) }),
      201,
    );
  });

  it("200 concurrent scale, push and memory requests never take usage past the quota", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const dev = await t.tenantWithToken("race");
    const limits = { memory_mb: 2048, instance_memory_mb: 512, instances: 16, apps: 14, disk_mb: 12_288 };
    const clients = 10;
    const perClient = 20;
    const usageOf = (a: AppBody | undefined) => {
      const n = a && a.state === "started" ? a.instances : 0;
      return {
        memory_mb: n * (a?.memory_mb ?? 0),
        instances: n,
        apps: a ? 1 : 0,
        disk_mb: n * (a?.disk_mb ?? 0),
      };
    };
    type Counted = ReturnType<typeof usageOf>;
    const fields = ["memory_mb", "instances", "apps", "disk_mb"] as const;
    const admitted: Counted = { memory_mb: 0, instances: 0, apps: 0, disk_mb: 0 };
    const charge = (before: AppBody | undefined, after: AppBody | undefined) => {
      const [from, to] = [usageOf(before), usageOf(after)];
      for (const f of fields) admitted[f] += to[f] - from[f];
    };

    // near the limit: 10 apps × 1 × 128 MB, 512 MB disk
    const owned: Map<string, AppBody>[] = [];
    for (let i = 0; i < clients; i++) {
      const res = await t.call("/v1/apps", {
        method: "POST",
        token: dev,
        json: webApp(`c${i}`, { instances: 1, memory_mb: 128, disk_mb: 512 }),
      });
      const app = (await expectStatus(res, 201)) as AppBody;
      charge(undefined, app);
      owned.push(new Map([[app.name, app]]));
    }
    const upload = await t.call("/v1/apps/c0/bits", {
      method: "PUT",
      token: dev,
      body: await tarOf({ "index.html": "hi" }),
      headers: { "content-type": "application/x-tar" },
    });
    const digest = ((await expectStatus(upload, 200)) as { digest: string }).digest;
    await expectStatus(await setQuota(t, "race", limits), 200);

    let seed = 0x9e3779b9;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return (seed >>> 8) % n;
    };
    const statuses = new Map<number, number>();
    const counted = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

    const runClient = async (i: number) => {
      const apps = owned[i] as Map<string, AppBody>;
      for (let k = 0; k < perClient; k++) {
        const names = [...apps.keys()];
        const name = names[random(names.length)] as string;
        const before = apps.get(name);
        const op = random(7);
        let res: Response;
        if (op === 0) {
          const fresh = webApp(`c${i}-p${k}`, {
            instances: 1 + random(2),
            memory_mb: 64 * (1 + random(4)),
            disk_mb: 256,
          });
          res = await t.call("/v1/apps", { method: "POST", token: dev, json: fresh });
          counted(res.status);
          if (res.status === 201) {
            const app = (await res.json()) as AppBody;
            charge(undefined, app);
            apps.set(app.name, app);
            const bits = await t.call(`/v1/apps/${app.name}/bits?digest=${digest}`, {
              method: "PUT",
              token: dev,
            });
            counted(bits.status);
            expect(bits.status).toBe(200);
          }
          continue;
        }
        if (op === 5 && name !== `c${i}`) {
          res = await t.call(`/v1/apps/${name}`, { method: "DELETE", token: dev });
          counted(res.status);
          if (res.status === 204) {
            charge(before, undefined);
            apps.delete(name);
          }
          continue;
        }
        if (op === 6) {
          const action = before?.state === "started" ? "stop" : "start";
          res = await t.call(`/v1/apps/${name}/${action}`, { method: "POST", token: dev });
        } else {
          const json =
            op === 1 || op === 2
              ? { instances: random(5) }
              : op === 3
                ? { memory_mb: [64, 128, 256, 384, 640][random(5)] }
                : { disk_mb: [256, 512, 1024, 2048][random(4)] };
          res = await t.call(`/v1/apps/${name}`, { method: "PATCH", token: dev, json });
        }
        counted(res.status);
        if (res.status === 200) {
          const app = (await res.json()) as AppBody;
          charge(before, app);
          apps.set(name, app);
        }
      }
    };

    const samples: Counted[] = [];
    let running = true;
    const sample = async () => {
      while (running) {
        const [row] = await t.db.execute<Counted>(sql`
          select count(*)::int as apps,
            coalesce(sum(instances) filter (where state = 'started'), 0)::int as instances,
            coalesce(sum(instances * memory_mb) filter (where state = 'started'), 0)::int as memory_mb,
            coalesce(sum(instances * disk_mb) filter (where state = 'started'), 0)::int as disk_mb
          from apps`);
        samples.push(row as Counted);
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const sampler = sample();
    try {
      await Promise.all(Array.from({ length: clients }, (_, i) => runClient(i)));
    } finally {
      running = false;
      await sampler;
    }

    const unexpected = [...statuses.keys()].filter((s) => ![200, 201, 204, 422].includes(s));
    expect(unexpected).toEqual([]);
    expect(statuses.get(422) ?? 0).toBeGreaterThan(0);
    expect((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0)).toBeGreaterThan(0);
    expect(samples.length).toBeGreaterThan(10);
    for (const s of samples) for (const f of fields) expect(s[f]).toBeLessThanOrEqual(limits[f]);

    const quota = (await expectStatus(await t.call("/v1/quota", { token: dev }), 200)) as QuotaBody;
    for (const f of fields) expect(quota[f].usage, f).toBe(admitted[f]);
    expect(quota.instance_memory_mb.usage).toBeLessThanOrEqual(limits.instance_memory_mb);
  });
});
