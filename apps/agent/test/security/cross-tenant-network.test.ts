import { describeWith, it } from "@grove/testkit";
import { execa } from "execa";
import { expect } from "vitest";
import {
  type Cluster,
  eventually,
  expectStatus,
  httpGet,
  type InstanceView,
  startCluster,
} from "../cluster-harness";
import { getFrom, instanceNetns, udpListener, udpSend } from "./netns-probe";

interface Policy {
  id: string;
}

async function runningOne(
  c: Cluster,
  tenant: string,
  app: string,
): Promise<InstanceView & { container_ip: string }> {
  const [instance] = await c.tenant(tenant).running(app, 1);
  if (!instance?.container_ip) throw new Error(`${tenant}/${app} reports no container address`);
  return instance as InstanceView & { container_ip: string };
}

async function addPolicy(c: Cluster, tenant: string, body: Record<string, unknown>): Promise<Policy> {
  return (await expectStatus(
    await c.tenant(tenant).call("/v1/policies", { method: "POST", json: body }),
    201,
  )) as Policy;
}

describeWith(
  ["root", "runc", "postgres", "nats", "network"],
  "network isolation between apps and tenants on a cell",
  () => {
    it("a container cannot reach another tenant's container, nor another app of its tenant, by IP until a policy allows it", async ({
      pg,
      nats,
    }) => {
      const c = await startCluster(pg, nats, { cellCount: 1 });
      const cell = c.cells[0];
      if (!cell) throw new Error("no cell");
      const alphaDeveloper = await c.t.tenantWithToken("alpha");
      await c.t.tenantWithToken("beta");
      await c.tenant("alpha").pushWeb("a", 1);
      await c.tenant("alpha").pushWeb("a2", 1);
      await c.tenant("beta").pushWeb("b", 1);
      const a = await runningOne(c, "alpha", "a");
      const a2 = await runningOne(c, "alpha", "a2");
      const b = await runningOne(c, "beta", "b");
      const fromA = await instanceNetns(cell, a.id);

      // the attack: straight to the other tenant's container address, around the router
      expect(await getFrom(fromA, b.container_ip, 8080)).toEqual({ ok: false, code: "TIMEOUT" });
      expect(await getFrom(fromA, a2.container_ip, 8080)).toEqual({ ok: false, code: "TIMEOUT" });
      // nothing else changed: the host and the router still reach b
      const hostToB = await fetch(`http://${b.container_ip}:8080/`, { signal: AbortSignal.timeout(3_000) });
      expect(await hostToB.text()).toBe("hello from grove\n");
      await eventually(async () =>
        (await httpGet(c.router.port, "b.beta.grove.localhost")).status === 200 ? true : undefined,
      );

      // a policy in alpha opens a → a2 within 5 s, and only that
      const sameTenant = await addPolicy(c, "alpha", { source: "a", destination: "a2", port: 8080 });
      await eventually(
        async () => ((await getFrom(fromA, a2.container_ip, 8080)).ok ? true : undefined),
        5_000,
      );
      expect(await getFrom(fromA, a2.container_ip, 8080)).toMatchObject({ ok: true, status: 200 });
      expect(await getFrom(fromA, b.container_ip, 8080)).toEqual({ ok: false, code: "TIMEOUT" });
      expect(await getFrom(await instanceNetns(cell, a2.id), a.container_ip, 8080)).toEqual({
        ok: false,
        code: "TIMEOUT",
      });

      // alpha's developers cannot open beta's app; an operator can
      const refused = await c.t.call("/v1/policies", {
        method: "POST",
        token: alphaDeveloper,
        json: { source: "a", destination: "b", destination_tenant: "beta", port: 8080 },
      });
      expect(refused.status).toBe(403);
      const crossTenant = await addPolicy(c, "alpha", {
        source: "a",
        destination: "b",
        destination_tenant: "beta",
        port: 8080,
      });
      await eventually(
        async () => ((await getFrom(fromA, b.container_ip, 8080)).ok ? true : undefined),
        5_000,
      );

      // removed policies refuse new connections again within 5 s
      for (const policy of [sameTenant, crossTenant]) {
        await expectStatus(
          await c.tenant("alpha").call(`/v1/policies/${policy.id}`, { method: "DELETE" }),
          204,
        );
      }
      await eventually(async () => {
        const [toA2, toB] = [
          await getFrom(fromA, a2.container_ip, 8080, 800),
          await getFrom(fromA, b.container_ip, 8080, 800),
        ];
        return !toA2.ok && !toB.ok ? true : undefined;
      }, 5_000);
    });

    it("a container forging an allowed container's source address is dropped", async ({ pg, nats }) => {
      const c = await startCluster(pg, nats, { cellCount: 1 });
      const cell = c.cells[0];
      if (!cell) throw new Error("no cell");
      await c.pushWeb("src", 1);
      await c.pushWeb("dst", 1);
      await c.pushWeb("forger", 1);
      const src = await runningOne(c, "default", "src");
      const dst = await runningOne(c, "default", "dst");
      const forger = await runningOne(c, "default", "forger");
      await addPolicy(c, "default", { source: "src", destination: "dst", protocol: "udp", port: 9999 });
      const srcNetns = await instanceNetns(cell, src.id);
      const dstNetns = await instanceNetns(cell, dst.id);
      const forgerNetns = await instanceNetns(cell, forger.id);
      const received = await udpListener(dstNetns, 9999);
      try {
        await eventually(async () => {
          await udpSend(srcNetns, src.container_ip, dst.container_ip, 9999, "from-src");
          return received.lines().includes("from-src") ? true : undefined;
        }, 5_000);
        // the forger takes src's address (CAP_NET_RAW could forge it as well) and sends as src
        await execa("nsenter", [
          `--net=${forgerNetns}`,
          "--",
          "ip",
          "addr",
          "add",
          `${src.container_ip}/32`,
          "dev",
          "eth0",
        ]);
        await udpSend(forgerNetns, src.container_ip, dst.container_ip, 9999, "forged");
        await udpSend(srcNetns, src.container_ip, dst.container_ip, 9999, "after");
        await received.waitFor("after");
        expect(received.lines()).not.toContain("forged");
      } finally {
        await received.stop();
      }
    });
  },
);
