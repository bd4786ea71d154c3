import { describeWith, it } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "./harness";
import { joinHollowCell } from "./hollow-cell";

async function push(t: TestApi, token: string, name: string, space?: string): Promise<void> {
  await expectStatus(await t.call("/v1/apps", { method: "POST", token, json: webApp(name, { space }) }), 201);
  const bits = await tarOf({ "index.html": "hi" });
  await expectStatus(await t.call(`/v1/apps/${name}/bits`, { method: "PUT", body: bits, token }), 200);
}

describeWith(["root", "postgres", "nats"], "log-rate limits", () => {
  it("send the stricter of the tenant's and the space's log lines per second with each start command", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_PLACEMENT_INTERVAL_MS: "300" });
    const { token: join } = (await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: {} }),
      201,
    )) as { token: string };
    const cell = await joinHollowCell(t.nc, join, "cell-logs");
    onTestFinished(() => cell.stop());
    cell.startHeartbeats(300);

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

    await push(t, admin, "loud", "dev");
    await push(t, admin, "calm");
    await push(t, free, "unbound");
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
