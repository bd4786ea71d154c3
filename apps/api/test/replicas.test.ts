import { connectDatabase } from "@grove/db";
import { describeWith, it } from "@grove/testkit";
import pino from "pino";
import { expect } from "vitest";
import { createApi } from "../src/api";
import { eventually, expectStatus, joinToken, OPERATOR, startTestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";

describeWith(["root", "postgres", "nats"], "several api replicas", () => {
  it("lets one replica lead, and a change made through the other is placed at once", async ({ pg, nats }) => {
    // a long interval: only the wake-up sent by the other replica can explain a prompt placement
    const first = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "600000" });
    await eventually(async () => (first.api.isLeader() ? true : undefined));
    const database = connectDatabase(first.config.DATABASE_URL, { max: 3 });
    const nc = await nats.connect();
    const second = createApi({
      config: first.config,
      db: database.db,
      nc,
      authority: first.authority,
      log: pino({ level: "silent" }),
    });
    await second.start();
    try {
      expect(second.isLeader()).toBe(false);
      const call = (
        path: string,
        init: { method?: string; token?: string; json?: unknown; body?: Buffer } = {},
      ) =>
        second.app.request(path, {
          method: init.method ?? "GET",
          headers: {
            authorization: `Bearer ${init.token ?? OPERATOR}`,
            ...(init.json ? { "content-type": "application/json" } : {}),
          },
          body: init.json ? JSON.stringify(init.json) : init.body,
        });
      const cell = await joinHollowCell(nc, await joinToken({ call }), "a");
      await expectStatus(await call("/v1/tenants", { method: "POST", json: { name: "acme" } }), 201);
      const { id, token: dev } = (await expectStatus(
        await call("/v1/tokens", { method: "POST", json: { role: "developer", tenant: "acme" } }),
        201,
      )) as { id: string; token: string };
      const grant = await first.call(`/v1/spaces/default/roles/${id}`, {
        method: "PUT",
        json: { role: "developer" },
        headers: { "x-grove-tenant": "acme" },
      });
      await expectStatus(grant, 200);
      await expectStatus(await call("/v1/apps", { method: "POST", token: dev, json: webApp() }), 201);
      const tar = await tarOf({ "app.sh": "httpd" });
      await expectStatus(await call("/v1/apps/web/bits", { method: "PUT", token: dev, body: tar }), 200);
      await eventually(async () => (cell.starts.length === 1 ? true : undefined), 5_000);
      cell.stop();
    } finally {
      await second.stop();
      await nc.close();
      await database.close();
    }
  });
});
