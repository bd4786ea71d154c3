import { request } from "node:http";
import { eventually, expectStatus, startTestApi, tarOf } from "@grove/api/testing";
import { startRouter } from "@grove/router";
import { describeWith, it, makeTempDir, runId } from "@grove/testkit";
import { pino } from "pino";
import { expect, onTestFinished } from "vitest";
import { type CellProcess, cellProcess } from "./cell-process";

interface InstanceView {
  index: number;
  state: string;
  cell: { id: string; name: string } | null;
  address: string | null;
  ports: { container_port: number; host_port: number }[];
  crash_count: number;
}

function httpGet(port: number, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: host ? { host } : {} }, (res) => {
      let body = "";
      res.on("data", (c) => {
        body += c;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.setTimeout(3_000, () => req.destroy(new Error("timeout")));
    req.end();
  });
}

describeWith(["root", "runc", "postgres", "nats", "cni"], "a cluster of two cells", () => {
  it("places 4 instances 2/2 on two real cells, serves them through the router, and keeps them across an agent kill -9", async ({
    pg,
    nats,
  }) => {
    const t = await startTestApi(pg, nats, {
      GROVE_CONVERGENCE_INTERVAL_MS: "1000",
      GROVE_PRESENCE_TTL_MS: "15000",
      GROVE_DEFAULT_TENANT: "default",
    });
    const { token } = (await expectStatus(
      await t.call("/v1/cells/tokens", { method: "POST", json: {} }),
      201,
    )) as { token: string };
    // one cleanup, in order: the cells' containers and mounts go before their state dirs
    const cleanups: (() => Promise<void>)[] = [];
    onTestFinished(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const cells: CellProcess[] = [];
    for (const suffix of ["a", "b"]) {
      const dir = await makeTempDir("gc-");
      cleanups.push(() => dir.remove());
      const cell = cellProcess({
        name: `gc${runId}${suffix}`,
        stateDir: dir.path,
        natsUrl: nats.url,
        joinToken: token,
      });
      cleanups.push(() => cell.remove());
      cells.push(cell);
      await cell.start();
    }
    const router = await startRouter({
      natsUrl: nats.url,
      log: pino({ level: "silent" }),
      host: "127.0.0.1",
      port: 0,
      statusPort: 0,
    });
    cleanups.push(() => router.close());

    const headers = { "x-grove-tenant": "default" };
    await expectStatus(
      await t.call("/v1/apps", {
        method: "POST",
        headers,
        json: { name: "web", command: "httpd -f -p $PORT -h /home/vcap/app", instances: 4, memory_mb: 64 },
      }),
      201,
    );
    const bits = await tarOf({ "index.html": "hello from grove\n" });
    await expectStatus(await t.call("/v1/apps/web/bits", { method: "PUT", headers, body: bits }), 200);

    const running = async () => {
      const page = (await expectStatus(await t.call("/v1/apps/web/instances", { headers }), 200)) as {
        items: InstanceView[];
      };
      const up = page.items.filter((i) => i.state === "RUNNING");
      return up.length === 4 ? up : undefined;
    };
    const instances = await eventually(running, 90_000);
    const perCell = new Map<string, number>();
    for (const i of instances) perCell.set(i.cell?.name ?? "", (perCell.get(i.cell?.name ?? "") ?? 0) + 1);
    expect([...perCell.values()]).toEqual([2, 2]);
    for (const i of instances) {
      const port = i.ports[0]?.host_port as number;
      expect(await httpGet(port)).toEqual({ status: 200, body: "hello from grove\n" });
    }
    await eventually(
      async () =>
        (await httpGet(router.port, "web.default.grove.localhost")).status === 200 ? true : undefined,
      10_000,
    );

    const before = new Set(instances.map((i) => `${i.cell?.name}:${i.ports[0]?.host_port}`));
    const victim = cells[0] as CellProcess;
    await victim.kill("SIGKILL");
    await victim.start();
    expect(victim.logs.some((line) => line.includes('"re-adopted running instances"'))).toBe(true);
    const after = await eventually(running, 30_000);
    expect(new Set(after.map((i) => `${i.cell?.name}:${i.ports[0]?.host_port}`))).toEqual(before);
    expect(after.every((i) => i.crash_count === 0)).toBe(true);
    for (const i of after) expect((await httpGet(i.ports[0]?.host_port as number)).status).toBe(200);
  });
});
