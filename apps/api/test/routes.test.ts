import { connectDatabase, schema } from "@grove/db";
import type { StartInstance } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { eq } from "drizzle-orm";
import pino from "pino";
import { expect, onTestFinished } from "vitest";
import { createApi } from "../src/api";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { type HollowCell, hollowCellOf } from "./hollow-cell";
import { backend, type RouterProcess, routerProcess } from "./router-process";

/** The router stops sending traffic within this long of a command returning (issue 18). */
const WITHDRAWN_WITHIN_MS = 1_000;

/** A hollow cell of the test's api, heartbeating until the test ends. */
const hollowCell = (t: TestApi, name: string) => hollowCellOf(t, name, { heartbeatMs: 300 });

/** Creates app `name` with `instances` in the token's tenant and uploads bits, so it is placed. */
async function pushApp(t: TestApi, token: string, name: string, instances: number): Promise<void> {
  await expectStatus(
    await t.call("/v1/apps", { method: "POST", json: webApp(name, { instances }), token }),
    201,
  );
  const bits = await tarOf({ "index.html": "hi" });
  await expectStatus(await t.call(`/v1/apps/${name}/bits`, { method: "PUT", body: bits, token }), 200);
}

/** The start commands the cell has received once there are `count`. */
function startsOf(cell: HollowCell, count: number): Promise<StartInstance[]> {
  return eventually(
    async () => (cell.starts.length >= count ? [...cell.starts] : undefined),
    10_000,
    `${count} start commands`,
  );
}

/** The bodies of `n` requests through the router (round-robin shows every endpoint). */
async function bodies(router: RouterProcess, host: string, n = 4): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await router.get(host);
    seen.push(res.status === 200 ? res.body : String(res.status));
  }
  return seen.sort();
}

const notFound = (router: RouterProcess, host: string) => async () =>
  (await router.get(host)).status === 404 ? true : undefined;

describeWith(["root", "postgres", "nats"], "routes from the control plane", () => {
  it("routes running instances through a router process, and withdraws them before a scale-down, stop or delete returns", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_ROUTE_INTERVAL_MS: "60000" });
    const router = await routerProcess(nats);
    const token = await t.tenantWithToken("routes-a");
    const cell = await hollowCell(t, "cell-routes-a");
    await pushApp(t, token, "web", 2);
    const ports = [await backend("zero"), await backend("one")];
    const firstStarts = await startsOf(cell, 2);
    for (const start of firstStarts)
      await cell.report(start, "RUNNING", undefined, { hostPort: ports[start.index] });
    const host = "web.routes-a.grove.localhost";
    await eventually(
      async () => {
        const seen = await bodies(router, host);
        return seen.includes("zero") && seen.includes("one") ? true : undefined;
      },
      10_000,
      "both instances through the router",
    );

    await expectStatus(await t.call("/v1/apps/web", { method: "PATCH", json: { instances: 1 }, token }), 200);
    await eventually(
      async () => ((await bodies(router, host)).every((body) => body === "zero") ? true : undefined),
      WITHDRAWN_WITHIN_MS,
      "the scaled-away instance out of the route",
    );

    await expectStatus(await t.call("/v1/apps/web/stop", { method: "POST", token }), 200);
    await eventually(notFound(router, host), WITHDRAWN_WITHIN_MS, "404 after stop");
    await eventually(
      async () => (firstStarts.every((s) => cell.stops.includes(s.instanceId)) ? true : undefined),
      10_000,
      "both instances stopped",
    );

    await expectStatus(await t.call("/v1/apps/web/start", { method: "POST", token }), 200);
    const [restarted] = (await startsOf(cell, 3)).slice(2);
    if (!restarted) throw new Error("no start after the app started again");
    await cell.report(restarted, "RUNNING", undefined, { hostPort: ports[0] });
    await eventually(
      async () => ((await router.get(host)).body === "zero" ? true : undefined),
      10_000,
      "the started app through the router",
    );

    const deleted = await t.call("/v1/apps/web", { method: "DELETE", token });
    expect(deleted.status).toBe(204);
    await eventually(notFound(router, host), WITHDRAWN_WITHIN_MS, "404 after delete");
  });

  it("routes an app started again right after a stop, whether or not the leader saw it stopped", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_ROUTE_INTERVAL_MS: "600000" });
    const router = await routerProcess(nats);
    const token = await t.tenantWithToken("routes-d");
    const cell = await hollowCell(t, "cell-routes-d");
    await pushApp(t, token, "web", 1);
    const port = await backend("back");
    const reported = new Set<string>();
    const reportStarts = async () => {
      for (const start of cell.starts.filter((s) => !reported.has(s.instanceId))) {
        reported.add(start.instanceId);
        await cell.report(start, "RUNNING", undefined, { hostPort: port });
      }
    };
    const host = "web.routes-d.grove.localhost";
    const served = async () => {
      await reportStarts();
      return (await router.get(host)).body === "back" ? true : undefined;
    };
    await eventually(served, 10_000, "the app through the router");
    await expectStatus(await t.call("/v1/apps/web/stop", { method: "POST", token }), 200);
    await eventually(notFound(router, host), WITHDRAWN_WITHIN_MS, "404 after stop");
    await expectStatus(await t.call("/v1/apps/web/start", { method: "POST", token }), 200);
    await eventually(served, 10_000, "the app through the router after stop and start");
  });

  it("withdraws the route of an instance that crashes and of instances on a cell that is lost", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_PRESENCE_TTL_MS: "1500" });
    const router = await routerProcess(nats);
    const token = await t.tenantWithToken("routes-b");
    const cell = await hollowCell(t, "cell-routes-b");
    await pushApp(t, token, "web", 1);
    const port = await backend("up");
    const [first] = await startsOf(cell, 1);
    if (!first) throw new Error("no start");
    await cell.report(first, "RUNNING", undefined, { hostPort: port });
    const host = "web.routes-b.grove.localhost";
    await eventually(async () => ((await router.get(host)).body === "up" ? true : undefined));

    await cell.report(first, "CRASHED");
    await eventually(notFound(router, host), 5_000, "404 after the crash");

    const [replacement] = (await startsOf(cell, 2)).slice(1);
    if (!replacement) throw new Error("no replacement");
    await cell.report(replacement, "RUNNING", undefined, { hostPort: port });
    await eventually(async () => ((await router.get(host)).body === "up" ? true : undefined));
    cell.stopHeartbeats();
    await eventually(notFound(router, host), 10_000, "404 once the cell is lost");
  });

  it("moves the route to a pushed revision's instance and withdraws the old one's, with no full resend", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_ROUTE_INTERVAL_MS: "600000" });
    const router = await routerProcess(nats);
    const token = await t.tenantWithToken("routes-f");
    const cell = await hollowCell(t, "cell-routes-f");
    await pushApp(t, token, "web", 1);
    const [first] = await startsOf(cell, 1);
    if (!first) throw new Error("no start");
    await cell.report(first, "RUNNING", undefined, { hostPort: await backend("old") });
    const host = "web.routes-f.grove.localhost";
    await eventually(async () => ((await router.get(host)).body === "old" ? true : undefined), 10_000);

    const bits = await tarOf({ "index.html": "new" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", body: bits, token }), 200);
    const pushed = await eventually(
      async () => cell.starts.find((s) => s.revision > first.revision),
      15_000,
      "the new revision's start",
    );
    await cell.report(pushed, "RUNNING", undefined, { hostPort: await backend("new") });
    await eventually(
      async () => ((await bodies(router, host)).every((body) => body === "new") ? true : undefined),
      15_000,
      "only the new revision through the router",
    );
  });

  it("registers every route again as soon as a router starts, without waiting for the interval", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_ROUTE_INTERVAL_MS: "600000" });
    const token = await t.tenantWithToken("routes-c");
    const cell = await hollowCell(t, "cell-routes-c");
    await pushApp(t, token, "web", 1);
    const [start] = await startsOf(cell, 1);
    if (!start) throw new Error("no start");
    await cell.report(start, "RUNNING", undefined, { hostPort: await backend("fresh") });
    const host = "web.routes-c.grove.localhost";
    const first = await routerProcess(nats);
    await eventually(async () => ((await first.get(host)).body === "fresh" ? true : undefined));
    await first.kill();
    const second = await routerProcess(nats);
    await eventually(
      async () => ((await second.get(host)).body === "fresh" ? true : undefined),
      5_000,
      "the route on a router started after it was registered",
    );
  });

  it("withdraws, as a new leader, a route the leader before it did not get to withdraw", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_ROUTE_INTERVAL_MS: "600000" });
    await eventually(async () => (t.api.isLeader() ? true : undefined));
    const router = await routerProcess(nats);
    const token = await t.tenantWithToken("routes-e");
    const cell = await hollowCell(t, "cell-routes-e");
    await pushApp(t, token, "web", 1);
    const [start] = await startsOf(cell, 1);
    if (!start) throw new Error("no start");
    await cell.report(start, "RUNNING", undefined, { hostPort: await backend("old") });
    const host = "web.routes-e.grove.localhost";
    await eventually(async () => ((await router.get(host)).body === "old" ? true : undefined));

    // the instance stops being routable with nothing to tell the leader (as if it died just then)
    await t.db
      .update(schema.instances)
      .set({ state: "CRASHED", since: new Date() })
      .where(eq(schema.instances.id, start.instanceId));
    const database = connectDatabase(t.config.DATABASE_URL, { max: 3 });
    const nc = await nats.connect();
    const next = createApi({
      config: t.config,
      db: database.db,
      nc,
      authority: t.authority,
      log: pino({ level: "silent" }),
    });
    onTestFinished(async () => {
      await next.stop();
      await nc.close();
      await database.close();
    });
    await next.start();
    await t.api.stop();
    await eventually(async () => (next.isLeader() ? true : undefined), 10_000, "the new leader");
    await eventually(notFound(router, host), 5_000, "404 once the new leader leads");
  });
});
