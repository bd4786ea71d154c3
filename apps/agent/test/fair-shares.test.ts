import { readFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { OPERATOR, tarOf } from "@grove/api/testing";
import { cellName } from "@grove/garden-server";
import { describeWith, it, makeTempDir } from "@grove/testkit";
import { serve } from "@hono/node-server";
import { execa } from "execa";
import { expect, onTestFinished } from "vitest";
import { logRateNotice } from "../src/log-rate-limit";
import { type Cluster, eventually, expectStatus, startCluster } from "./cluster-harness";

const CLI = fileURLToPath(new URL("../../cli/src/main.ts", import.meta.url));

/** Creates a started app running `command` (healthy while its process lives) and uploads its bits. */
async function pushProcess(c: Cluster, name: string, command: string, memoryMb = 64): Promise<void> {
  await expectStatus(
    await c.call("/v1/apps", {
      method: "POST",
      json: { name, command, instances: 1, memory_mb: memoryMb, health_check: { type: "process" } },
    }),
    201,
  );
  await expectStatus(
    await c.call(`/v1/apps/${name}/bits`, { method: "PUT", body: await tarOf({ "x.txt": "x\n" }) }),
    200,
  );
}

/** The app's stored log lines (the api's tail, not following). */
async function storedLogs(
  c: Cluster,
  app: string,
): Promise<{ line: string; at: string; instance_id: string }[]> {
  const res = await c.call(`/v1/apps/${app}/logs?lines=10000`);
  expect(res.status).toBe(200);
  return (await res.text())
    .split("\n")
    .filter((line) => line.startsWith("data:"))
    .map((line) => JSON.parse(line.slice(5)));
}

describeWith(["root", "runc", "postgres", "nats", "network"], "fair shares on a real cell", () => {
  it("gives containers CPU weight in proportion to their memory, in the real cgroup files", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    await pushProcess(c, "small", "exec sleep 3600", 128);
    await pushProcess(c, "large", "exec sleep 3600", 512);
    const [small] = await c.running("small", 1);
    const [large] = await c.running("large", 1);
    const cgroup = (id: string | undefined) =>
      `/sys/fs/cgroup/cpu/${cellName((c.cells[0]?.name ?? "").slice(0, 15))}/${id}/cpu.shares`;
    const shares = async (id: string | undefined) => Number((await readFile(cgroup(id), "utf8")).trim());
    expect(await shares(small?.id)).toBe(128);
    expect(await shares(large?.id)).toBe(512);
  });

  it("holds an instance to its quota's log rate, counts what it drops and says so in its logs", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    const limit = 20;
    await expectStatus(
      await c.call("/v1/tenants/default/quota", { method: "PATCH", json: { log_lines_per_second: limit } }),
      200,
    );
    await pushProcess(c, "chatty", 'i=0; while true; do i=$((i+1)); echo "line $i"; done');
    await c.running("chatty", 1);
    const notice = await eventually(async () => {
      const lines = await storedLogs(c, "chatty");
      return lines.some((l) => l.line.startsWith("grove: app instance exceeded")) && lines.length > 3 * limit
        ? lines
        : undefined;
    }, 60_000);
    const perSecond = new Map<string, number>();
    for (const { at } of notice) perSecond.set(at.slice(0, 19), (perSecond.get(at.slice(0, 19)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(limit);
    const first = notice.find((l) => l.line.startsWith("grove:"))?.line ?? "";
    const dropped = Number(/(\d+) lines dropped/.exec(first)?.[1]);
    expect(first).toBe(logRateNotice(limit, dropped));
    expect(dropped).toBeGreaterThan(0);
    // the cell counts the drops and reports them with the instance's usage: the stored report may
    // be one from before the notice (an unchanged heartbeat is stored every 15 s), so await a count
    // that has caught up with the notice's
    const [instance] = await eventually(async () => {
      const all = await c.instances("chatty");
      return (all[0]?.usage?.log_lines_dropped ?? 0) >= dropped ? all : undefined;
    }, 60_000);
    expect(instance?.usage?.log_lines_dropped).toBeGreaterThanOrEqual(dropped);
  });

  it("shows what an instance uses in the api and `grove apps show` within a few heartbeats", async ({
    pg,
    nats,
  }) => {
    const c = await startCluster(pg, nats, { cellCount: 1 });
    await pushProcess(
      c,
      "hungry",
      "dd if=/dev/zero of=/tmp/blob bs=1M count=8 2>/dev/null; x=$(head -c 24000000 /dev/zero | tr '\\0' a); while true; do sleep 1; done",
      128,
    );
    await c.running("hungry", 1);
    const usage = await eventually(async () => {
      const [instance] = await c.instances("hungry");
      const u = instance?.usage;
      return u && u.memory_bytes > 20_000_000 && u.disk_bytes > 8_000_000 ? u : undefined;
    }, 60_000);
    expect(usage).toMatchObject({
      memory_limit_bytes: 128 * 1024 * 1024,
      disk_limit_bytes: 1024 * 1024 * 1024,
    });
    expect(usage.cpu_percent).toBeGreaterThanOrEqual(0);

    const server = serve({ fetch: c.t.api.app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const home = await makeTempDir("gcli-");
    onTestFinished(() => home.remove());
    const shown = await execa(process.execPath, ["--import", "tsx", CLI, "apps", "show", "hungry"], {
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home.path,
        XDG_CONFIG_HOME: home.path,
        GROVE_API: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        GROVE_TOKEN: OPERATOR,
        GROVE_TENANT: "default",
      },
      extendEnv: false,
      timeout: 60_000,
    });
    const [header, row] = shown.stdout.split("\n").filter((line) => /^(INDEX|0 )/.test(line));
    expect(header).toMatch(/INDEX\s+STATE\s+SINCE\s+CPU\s+MEMORY\s+DISK\s+CELL/);
    expect(row).toMatch(/RUNNING .* \d+\.\d% +\d+\.\dM of 128M +\d+\.\dM of 1G +gc/);
  });
});
