import { describeWith, it } from "@grove/testkit";
import { expect } from "vitest";
import { eventually, expectStatus, startCluster, type TenantScope } from "./cluster-harness";
import { execIn } from "./exec-in";

/** What `nslookup name` prints inside instance 0 of `app`: the addresses found (sorted) and all output. */
async function resolveIn(scope: TenantScope, app: string, name: string) {
  const run = await execIn(scope, app, 0, ["nslookup", name]);
  const output = run.stdout + run.stderr;
  const addresses = [...output.matchAll(/^Address:\s*(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]).sort();
  return { addresses, output };
}

async function runningIps(scope: TenantScope, app: string, count: number): Promise<string[]> {
  const up = await scope.running(app, count, 120_000);
  return up.map((i) => i.container_ip ?? "?").sort();
}

describeWith(
  ["root", "runc", "postgres", "nats", "network"],
  "app-internal DNS on a multi-cell cluster",
  () => {
    it("a container resolves its tenant's apps on every cell, nothing of another tenant's, and sees a scale within 5 s", {
      timeout: 300_000,
    }, async ({ pg, nats }) => {
      const c = await startCluster(pg, nats, { cellCount: 2, netnsHosts: true });
      await c.t.tenantWithToken("alpha");
      await c.t.tenantWithToken("beta");
      const alpha = c.tenant("alpha");
      const beta = c.tenant("beta");
      await alpha.pushWeb("a", 1);
      await alpha.pushWeb("b", 2);
      await beta.pushWeb("c", 1);
      await runningIps(alpha, "a", 1);
      await runningIps(beta, "c", 1);
      const b = await runningIps(alpha, "b", 2);
      const bCells = new Set((await alpha.instances("b")).map((i) => i.cell?.name));
      expect(bCells.size).toBe(2);

      // the container's only nameserver is its cell's resolver on the bridge address
      const resolvConf = await execIn(alpha, "a", 0, ["cat", "/etc/resolv.conf"]);
      expect(resolvConf.stdout).toMatch(/^nameserver 10\.\d+\.\d+\.1\n$/);

      // b's instances on both cells, by its full name and (default space) its short one
      await eventually(async () => {
        const found = await resolveIn(alpha, "a", "b.default.alpha.internal");
        return JSON.stringify(found.addresses) === JSON.stringify(b) ? true : undefined;
      }, 10_000);
      expect((await resolveIn(alpha, "a", "B.Alpha.Internal")).addresses).toEqual(b);

      // another tenant's app is not there for a, and a's tenant is not there for c
      const fromA = await resolveIn(alpha, "a", "c.default.beta.internal");
      expect(fromA.addresses).toEqual([]);
      expect(fromA.output).toContain("NXDOMAIN");
      const fromC = await resolveIn(beta, "c", "b.default.alpha.internal");
      expect(fromC.addresses).toEqual([]);
      expect(fromC.output).toContain("NXDOMAIN");
      expect((await resolveIn(beta, "c", "c.beta.internal")).addresses).toEqual(
        await runningIps(beta, "c", 1),
      );

      // scaled up: the new instance is in the answer within 5 s of running
      await expectStatus(await alpha.call("/v1/apps/b", { method: "PATCH", json: { instances: 3 } }), 200);
      const three = await runningIps(alpha, "b", 3);
      const ranAt = performance.now();
      await eventually(async () => {
        const found = await resolveIn(alpha, "a", "b.default.alpha.internal");
        return JSON.stringify(found.addresses) === JSON.stringify(three) ? true : undefined;
      }, 10_000);
      expect(performance.now() - ranAt).toBeLessThan(5_000);

      // scaled down: the instances going away leave the answer within 5 s of the call
      const scaledAt = performance.now();
      await expectStatus(await alpha.call("/v1/apps/b", { method: "PATCH", json: { instances: 1 } }), 200);
      await eventually(async () => {
        const found = await resolveIn(alpha, "a", "b.default.alpha.internal");
        return found.addresses.length === 1 && three.includes(found.addresses[0] as string)
          ? true
          : undefined;
      }, 10_000);
      expect(performance.now() - scaledAt).toBeLessThan(5_000);
    });
  },
);
