import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, pushApp, startTestApi } from "./harness";
import { hollowCellOf } from "./hollow-cell";

describeWith(["root", "postgres", "nats"], "log-rate limits", () => {
  it("send the stricter of the tenant's and the space's log lines per second with each start command", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_PLACEMENT_INTERVAL_MS: "300" });
    const cell = await hollowCellOf(t, "cell-logs", { heartbeatMs: 300 });

    const admin = await t.tenantWithToken("acme", "tenant_admin");
    const free = await t.tenantWithToken("free", "tenant_admin");
    await expectStatus(
      await t.call("/v1/tenants/acme/quota", { method: "PATCH", json: { log_lines_per_second: 50 } }),
      200,
    );
    await expectStatus(
      await t.call("/v1/spaces", { method: "POST", token: admin, json: { name: "dev" } }),
      201,
    );
    const spaceQuota = await t.call("/v1/spaces/dev/quota", {
      method: "PATCH",
      token: admin,
      json: { log_lines_per_second: 20 },
    });
    expect(await expectStatus(spaceQuota, 200)).toMatchObject({ log_lines_per_second: { limit: 20 } });

    await pushApp(t, admin, "loud", { space: "dev" });
    await pushApp(t, admin, "calm");
    await pushApp(t, free, "unbound");
    const starts = await eventually(async () => (cell.starts.length >= 3 ? cell.starts : undefined), 20_000);
    const limitOf = async (token: string, app: string) => {
      const { id } = (await expectStatus(await t.call(`/v1/apps/${app}`, { token }), 200)) as { id: string };
      return starts.find((s) => s.appId === id)?.logLinesPerSecond;
    };
    expect(await limitOf(admin, "loud")).toBe(20);
    expect(await limitOf(admin, "calm")).toBe(50);
    expect(await limitOf(free, "unbound")).toBeUndefined();
  });
});
