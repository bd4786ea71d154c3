import type { PolicySlice } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, pushApp, startTestApi } from "./harness";
import { type HollowCell, hollowCellOf } from "./hollow-cell";

interface EgressRuleView {
  id: string;
  scope: string;
  tenant: string | null;
  space: string | null;
  destination: string;
  protocol: string;
  ports: { start: number; end: number } | null;
  control_plane: boolean;
}

/** Resolves with the first slice the cell receives after now that passes `check`, and how long it took. */
async function nextSlice(
  cell: HollowCell,
  check: (slice: PolicySlice) => boolean,
): Promise<{ slice: PolicySlice; ms: number }> {
  const from = cell.policies.length;
  const started = performance.now();
  for (;;) {
    const slice = cell.policies.slice(from).find(check);
    if (slice) return { slice, ms: performance.now() - started };
    if (performance.now() - started > 20_000) throw new Error("no such slice within 20 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describeWith(["root", "postgres", "nats"], "egress rules", () => {
  it("are managed per tenant, space and platform, and reach the cell within 2 s of the call", async ({
    pg,
    nats,
  }) => {
    // rounds only every minute: what reaches the cell in time came from the change announcement
    const t = await startTestApi(pg, nats, { GROVE_CONVERGENCE_INTERVAL_MS: "60000" });
    const cell = await hollowCellOf(t, "hollow-e");
    const acme = await t.tenantWithToken("acme", "tenant_admin");
    const beta = await t.tenantWithToken("beta", "tenant_admin");
    await pushApp(t, acme, "web");
    await pushApp(t, beta, "db");
    await eventually(async () => (cell.starts.length === 2 ? true : undefined));
    for (const start of cell.starts) await cell.report(start, "RUNNING");
    await eventually(async () => (lastEgress(cell) !== undefined ? true : undefined));
    // the control plane is refused by default on the cell's address
    expect(lastEgress(cell)?.rules).toEqual([]);
    expect(lastEgress(cell)?.controlPlane.length).toBeGreaterThan(0);

    const waiting = nextSlice(cell, (s) => (s.egress?.rules.length ?? 0) === 1);
    const created = (await expectStatus(
      await t.call("/v1/egress-rules", {
        method: "POST",
        token: acme,
        json: { destination: "192.0.2.0/24", protocol: "tcp", port: 443 },
      }),
      201,
    )) as EgressRuleView;
    const { slice, ms } = await waiting;
    expect(ms).toBeLessThan(2_000);
    expect(created).toMatchObject({ scope: "tenant", tenant: "acme", destination: "192.0.2.0/24" });
    const acmeGroup = slice.egress?.rules[0]?.group;
    expect(slice.egress?.rules[0]).toMatchObject({ network: "192.0.2.0/24", protocol: "tcp" });
    expect(slice.egress?.groups.find((g) => g.id === acmeGroup)?.addresses).toHaveLength(1);

    // a developer token reads the rules but does not change them (tenant admins do)
    const developer = (
      (await expectStatus(
        await t.call("/v1/tokens", {
          method: "POST",
          token: acme,
          json: { role: "developer", tenant: "acme", name: "dev1" },
        }),
        201,
      )) as { token: string }
    ).token;
    await expectStatus(
      await t.call("/v1/egress-rules", {
        method: "POST",
        token: developer,
        json: { destination: "10.0.0.0/8" },
      }),
      403,
    );
    expect(
      (
        (await expectStatus(await t.call("/v1/egress-rules", { token: developer }), 200)) as {
          items: unknown[];
        }
      ).items,
    ).toHaveLength(1);

    // the platform default (operators) applies to every container; developers may not set it
    await expectStatus(
      await t.call("/v1/egress-rules", {
        method: "POST",
        token: acme,
        json: { destination: "0.0.0.0/0", protocol: "udp", port: 123, platform: true },
      }),
      403,
    );
    const platform = (await expectStatus(
      await t.call("/v1/egress-rules", {
        method: "POST",
        json: { destination: "0.0.0.0/0", protocol: "udp", port: 123, platform: true },
      }),
      201,
    )) as EgressRuleView;
    expect(platform.scope).toBe("platform");
    const withPlatform = await eventually(async () =>
      lastEgress(cell)?.rules.length === 2 ? lastEgress(cell) : undefined,
    );
    expect(withPlatform.rules.find((r) => r.group === undefined)).toMatchObject({ network: "0.0.0.0/0" });

    for (const bad of [
      { destination: "300.1.1.1/8" },
      { destination: "10.0.0.0/8", protocol: "icmp", port: 1 },
      { destination: "10.0.0.0/8", port: 90, end_port: 80 },
      { destination: "10.0.0.0/8", control_plane: true },
    ]) {
      const res = await t.call("/v1/egress-rules", { method: "POST", token: acme, json: bad });
      expect([400, 403]).toContain(res.status);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
    }

    // each tenant sees its own and the platform's; beta cannot remove acme's
    const betaList = (await expectStatus(await t.call("/v1/egress-rules", { token: beta }), 200)) as {
      items: EgressRuleView[];
    };
    expect(betaList.items.map((r) => r.id)).toEqual([platform.id]);
    await expectStatus(
      await t.call(`/v1/egress-rules/${created.id}`, { method: "DELETE", token: beta }),
      404,
    );
    const removed = nextSlice(cell, (s) => (s.egress?.rules.length ?? 0) === 1);
    await expectStatus(
      await t.call(`/v1/egress-rules/${created.id}`, { method: "DELETE", token: acme }),
      204,
    );
    expect((await removed).ms).toBeLessThan(2_000);
    cell.stop();
  });
});

function lastEgress(cell: HollowCell) {
  return cell.policies.at(-1)?.egress;
}
