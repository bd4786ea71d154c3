import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { subjects } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { zeroFiles } from "@grove/testkit/archives";
import { expect } from "vitest";
import { eventually, expectStatus, startCluster } from "../cluster-harness";

describeWith(["root", "runc", "postgres", "nats", "network"], "a cell unpacking a hostile archive", () => {
  it("keeps its heartbeat rhythm while it decompresses up to its limit, then refuses the archive", async ({
    pg,
    nats,
  }) => {
    // an api whose limit is looser than the cell's lets 1.5 GiB of zeros reach the cell
    const c = await startCluster(pg, nats, {
      cellCount: 1,
      apiEnv: { GROVE_ARCHIVE_MAX_UNPACKED_BYTES: String(2 * 1024 ** 3) },
    });
    const app = { name: "web", command: "httpd -f -p $PORT -h /home/vcap/app", instances: 0, memory_mb: 64 };
    await expectStatus(await c.call("/v1/apps", { method: "POST", json: app }), 201);
    await expectStatus(await c.call("/v1/apps/web/bits", { method: "PUT", body: await zeroFiles(24) }), 200);

    const beats: number[] = [];
    const sub = c.t.nc.subscribe(subjects.allHeartbeats);
    void (async () => {
      for await (const _ of sub) beats.push(performance.now());
    })();
    await eventually(async () => (beats.length >= 2 ? true : undefined), 10_000);
    await expectStatus(await c.call("/v1/apps/web", { method: "PATCH", json: { instances: 1 } }), 200);
    const refused = await eventually(async () => {
      const [instance] = await c.instances("web");
      return instance?.reason?.includes("unpackedBytes") ? instance : undefined;
    }, 120_000);
    sub.unsubscribe();

    expect(refused.reason).toMatch(/more than 1073741824 bytes unpacked/);
    const gaps = beats.slice(1).map((at, i) => at - (beats[i] as number));
    // the harness's cells beat every 500 ms
    expect(Math.max(...gaps)).toBeLessThan(2_000);
    const cells = (await expectStatus(await c.call("/v1/cells"), 200)) as { items: { state: string }[] };
    expect(cells.items.map((cell) => cell.state)).toEqual(["active"]);
    const layers = await readdir(join(c.cells[0]?.stateDir as string, "bits"));
    expect(layers).toEqual([]);
  }, 240_000);
});
