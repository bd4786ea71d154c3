import { describeWith, it, startNats } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, startTestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";

describeWith(["root", "postgres", "nats"], "readiness", () => {
  it("reports not ready, naming NATS, while NATS is down", async ({ pg }) => {
    const nats = await startNats();
    let stopped = false;
    try {
      const t = await startTestApi(pg, nats);
      await expectStatus(await t.call("/readyz", { token: null }), 200);
      await nats.stop();
      stopped = true;
      const down = (await expectStatus(await t.call("/readyz", { token: null }), 503)) as {
        ready: boolean;
        checks: { postgres: boolean; nats: boolean };
      };
      expect(down).toEqual({ ready: false, checks: { postgres: true, nats: false } });
      await expectStatus(await t.call("/livez", { token: null }), 200);
    } finally {
      if (!stopped) await nats.stop();
    }
  });

  it("is ready again after NATS restarts, and still joins cells and applies instance events", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    await eventually(async () => (t.api.isLeader() ? true : undefined));
    const token =
      // several uses: a join whose reply was lost while NATS restarted is retried
      (
        (await expectStatus(
          await t.call("/v1/cells/tokens", { method: "POST", json: { uses: 5 } }),
          201,
        )) as {
          token: string;
        }
      ).token;
    await nats.restart();
    await eventually(async () =>
      (await t.call("/readyz", { token: null })).status === 200 ? true : undefined,
    );
    const cell = await eventually(async () =>
      joinHollowCell(t.nc, token, "after-restart").catch(() => undefined),
    );
    const dev = await t.tenantWithToken("acme");
    await expectStatus(await t.call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
    const tar = await tarOf({ "app.sh": "httpd" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar }), 200);
    await eventually(async () => (cell.starts.length === 1 ? true : undefined));
    await cell.report(cell.starts[0] as (typeof cell.starts)[0], "RUNNING");
    await eventually(async () => {
      const page = (await expectStatus(await t.call("/v1/apps/web/instances", { token: dev }), 200)) as {
        items: { state: string }[];
      };
      return page.items[0]?.state === "RUNNING" ? true : undefined;
    });
    cell.stop();
  });
});
