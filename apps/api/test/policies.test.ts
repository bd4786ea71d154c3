import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, pushApp, startTestApi, type TestApi } from "./harness";
import { type HollowCell, hollowCellOf } from "./hollow-cell";

interface PolicyView {
  id: string;
  source: { tenant: string; app: string };
  destination: { tenant: string; app: string };
  protocol: string;
  ports: { start: number; end: number };
}

/** The container address the hollow cell reported for the app's instance. */
async function addressOf(t: TestApi, token: string, app: string): Promise<string> {
  return eventually(async () => {
    const page = (await expectStatus(await t.call(`/v1/apps/${app}/instances`, { token }), 200)) as {
      items: { state: string; container_ip: string | null }[];
    };
    return page.items.find((i) => i.state === "RUNNING")?.container_ip ?? undefined;
  });
}

function lastPolicy(cell: HollowCell) {
  return cell.policies.at(-1);
}

describeWith(["root", "postgres", "nats"], "network policies", () => {
  it("are managed per tenant and reach the cell as the slice it enforces, on every change", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "60000" });
    const cell = await hollowCellOf(t, "hollow-p");
    const acme = await t.tenantWithToken("acme");
    const beta = await t.tenantWithToken("beta");
    const web = await pushApp(t, acme, "web");
    const api = await pushApp(t, acme, "api");
    const db = await pushApp(t, beta, "db");
    await eventually(async () => (cell.starts.length === 3 ? true : undefined));
    for (const start of cell.starts) await cell.report(start, "RUNNING");
    const [webIp, apiIp, dbIp] = [
      await addressOf(t, acme, "web"),
      await addressOf(t, acme, "api"),
      await addressOf(t, beta, "db"),
    ];
    // with no policies the cell still hears that nothing is allowed
    await eventually(async () => (lastPolicy(cell)?.rules.length === 0 ? true : undefined));

    const created = (await expectStatus(
      await t.call("/v1/policies", {
        method: "POST",
        token: acme,
        json: { source: "web", destination: "api", port: 8080, end_port: 8090 },
      }),
      201,
    )) as PolicyView;
    expect(created).toMatchObject({
      source: { tenant: "acme", space: "default", app: "web" },
      destination: { tenant: "acme", space: "default", app: "api" },
      protocol: "tcp",
      ports: { start: 8080, end: 8090 },
    });
    const applied = await eventually(async () => {
      const last = lastPolicy(cell);
      return last?.rules.length === 1 ? last : undefined;
    });
    expect(applied.rules).toEqual([
      { sourceAppId: web, destinationAppId: api, protocol: "tcp", ports: { start: 8080, end: 8090 } },
    ]);
    expect(applied.apps).toEqual(
      [
        { appId: web, addresses: [webIp] },
        { appId: api, addresses: [apiIp] },
      ].sort((a, b) => a.appId.localeCompare(b.appId)),
    );
    expect(JSON.stringify(applied)).not.toContain(dbIp);

    // another tenant's app: refused to a developer, unknown to a tenant that does not have it
    const cross = { source: "web", destination: "db", destination_tenant: "beta", port: 5432 };
    await expectStatus(await t.call("/v1/policies", { method: "POST", token: acme, json: cross }), 403);
    await expectStatus(
      await t.call("/v1/policies", {
        method: "POST",
        token: acme,
        json: { ...cross, destination_tenant: undefined },
      }),
      404,
    );
    const before = cell.policies.length;
    for (const bad of [
      { source: "web", destination: "api", port: 0 },
      { source: "web", destination: "api", port: 90, end_port: 80 },
      { source: "web", destination: "api", port: 80, protocol: "icmp" },
    ]) {
      const res = await t.call("/v1/policies", { method: "POST", token: acme, json: bad });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }
    await expectStatus(
      await t.call("/v1/policies", {
        method: "POST",
        token: acme,
        json: { source: "web", destination: "api", port: 8080, end_port: 8090 },
      }),
      409,
    );
    const byOperator = (await expectStatus(
      await t.call("/v1/policies", {
        method: "POST",
        headers: { "x-grove-tenant": "acme" },
        json: { ...cross, protocol: "udp" },
      }),
      201,
    )) as PolicyView;
    expect(byOperator.destination).toEqual({ tenant: "beta", space: "default", app: "db" });
    await eventually(async () => (lastPolicy(cell)?.rules.length === 2 ? true : undefined));
    expect(cell.policies.length).toBeGreaterThan(before);

    // beta sees the policy reaching its app, but cannot remove acme's
    const betaList = (await expectStatus(await t.call("/v1/policies", { token: beta }), 200)) as {
      items: PolicyView[];
    };
    expect(betaList.items.map((p) => p.id)).toEqual([byOperator.id]);
    await expectStatus(await t.call(`/v1/policies/${byOperator.id}`, { method: "DELETE", token: beta }), 404);
    const acmeList = (await expectStatus(await t.call("/v1/policies", { token: acme }), 200)) as {
      items: PolicyView[];
    };
    expect(acmeList.items).toHaveLength(2);

    await expectStatus(await t.call(`/v1/policies/${created.id}`, { method: "DELETE", token: acme }), 204);
    await expectStatus(await t.call(`/v1/policies/${created.id}`, { method: "DELETE", token: acme }), 404);
    const after = await eventually(async () => {
      const last = lastPolicy(cell);
      return last?.rules.length === 1 ? last : undefined;
    });
    expect(after.rules[0]).toMatchObject({ sourceAppId: web, destinationAppId: db, protocol: "udp" });
    expect(after.revision).toBeGreaterThan(applied.revision);
    cell.stop();
  });
});
