import { decodeOrThrow, RouteRegistration, subjects } from "@grove/protocol";
import { describeWith, it, type TestNats } from "@grove/testkit";
import { expect, onTestFinished } from "vitest";
import { eventually, expectStatus, startTestApi, type TestApi, tarOf, webApp } from "../harness";
import { hollowCellOf } from "../hollow-cell";

/*
 * Issue 11, "routes only from authority": routes come from the control plane's records (where it
 * placed an instance, the address its cell registered with), never from what a cell claims.
 */

const hollowCell = (t: TestApi, name: string) => hollowCellOf(t, name, { heartbeatMs: 300 });

/** Every `router.register` message from now on, as a router would see it. */
async function registrations(nats: TestNats): Promise<RouteRegistration[]> {
  const seen: RouteRegistration[] = [];
  const nc = await nats.connect("router");
  onTestFinished(() => nc.close());
  nc.subscribe(subjects.routerRegister, {
    callback: (_error, msg) => {
      seen.push(decodeOrThrow(RouteRegistration, msg.data, msg.subject));
    },
  });
  await nc.flush();
  return seen;
}

async function pushApp(t: TestApi, tenant: string, name: string): Promise<void> {
  const token = await t.tenantWithToken(tenant);
  await expectStatus(await t.call("/v1/apps", { method: "POST", json: webApp(name), token }), 201);
  const bits = await tarOf({ "index.html": "hi" });
  await expectStatus(await t.call(`/v1/apps/${name}/bits`, { method: "PUT", body: bits, token }), 200);
}

describeWith(["root", "postgres", "nats"], "security: routes only from authority", () => {
  it("a cell claiming another address for its instance cannot send the route there", async ({ pg, nats }) => {
    const t = await startTestApi(pg, nats);
    const seen = await registrations(nats);
    const cell = await hollowCell(t, "claims-elsewhere");
    await pushApp(t, "victim-a", "web");
    const [start] = await eventually(async () => (cell.starts.length === 1 ? cell.starts : undefined));
    if (!start) throw new Error("no start");
    await cell.report(start, "RUNNING", undefined, { address: "10.66.0.1", hostPort: 61234 });
    const mine = await eventually(async () => {
      const found = seen.filter((r) => r.private_instance_id === start.instanceId);
      return found.length > 0 ? found : undefined;
    });
    expect(mine.map((r) => `${r.host}:${r.port}`)).toEqual(mine.map(() => "127.0.0.1:61234"));
    expect(seen.some((r) => r.host === "10.66.0.1")).toBe(false);
  });

  it("a cell reporting another cell's instance as running on it gets no route for it", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats);
    const seen = await registrations(nats);
    const owner = await hollowCell(t, "owner");
    await pushApp(t, "victim-b", "web");
    const [start] = await eventually(async () => (owner.starts.length === 1 ? owner.starts : undefined));
    if (!start) throw new Error("no start");
    const attacker = await hollowCell(t, "attacker");
    await attacker.report(start, "RUNNING", undefined, { hostPort: 60666 });
    await eventually(async () => {
      const metrics = await (await t.call("/metrics")).text();
      return metrics.includes('subject_kind="instance-event",reason="not-on-this-cell"} 1')
        ? true
        : undefined;
    });
    // the owner's own report comes after the attacker's in the stream: once it is routed, the
    // attacker's would have been too
    await owner.report(start, "RUNNING", undefined, { hostPort: 61001 });
    await eventually(async () =>
      seen.some((r) => r.private_instance_id === start.instanceId && r.port === 61001) ? true : undefined,
    );
    expect(seen.filter((r) => r.port === 60666)).toEqual([]);
    const [instance] = (
      (await expectStatus(
        await t.call("/v1/apps/web/instances", { headers: { "x-grove-tenant": "victim-b" } }),
        200,
      )) as {
        items: { cell: { id: string }; ports: { host_port: number }[] }[];
      }
    ).items;
    expect(instance?.cell.id).toBe(owner.cellId);
    expect(instance?.ports.map((p) => p.host_port)).toEqual([61001]);
  });
});
