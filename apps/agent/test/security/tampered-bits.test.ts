import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { tarOf } from "@grove/api/testing";
import { describeWith, it } from "@grove/testkit";
import { Objm } from "@nats-io/obj";
import { expect } from "vitest";
import { BITS_BUCKET } from "../../src/agent";
import { eventually, expectStatus, gardenGet, startCluster } from "../cluster-harness";

const sha256 = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;

describeWith(
  ["root", "runc", "postgres", "nats", "network"],
  "bits tampered with in the object store",
  () => {
    it("are refused by the agent, which reports the instance crashed with the reason and runs nothing", async ({
      pg,
      nats,
    }) => {
      const c = await startCluster(pg, nats, { cellCount: 1 });
      const app = {
        name: "web",
        command: "httpd -f -p $PORT -h /home/vcap/app",
        instances: 0,
        memory_mb: 64,
      };
      await expectStatus(await c.call("/v1/apps", { method: "POST", json: app }), 201);
      const bits = await tarOf({ "index.html": "hello from grove\n" });
      await expectStatus(await c.call("/v1/apps/web/bits", { method: "PUT", body: bits }), 200);
      // whoever can write the bucket swaps the object behind the digest the app runs
      const store = await new Objm(c.t.nc).open(BITS_BUCKET);
      await store.putBlob({ name: sha256(bits) }, await tarOf({ "index.html": "<script>evil()</script>\n" }));
      await expectStatus(await c.call("/v1/apps/web", { method: "PATCH", json: { instances: 1 } }), 200);

      const crashed = await eventually(async () => {
        const [instance] = await c.instances("web");
        return instance?.reason?.includes("tampered") ? instance : undefined;
      }, 60_000);
      expect(crashed.reason).toContain(sha256(bits));
      const cell = c.cells[0];
      expect(cell?.logs.some((line) => line.includes("fetched bits do not match their digest"))).toBe(true);
      const layers = await readdir(join(cell?.stateDir as string, "bits"));
      expect(layers.filter((name) => name.startsWith("sha256-"))).toEqual([]);
      const listed = await gardenGet(join(cell?.stateDir as string, "garden.sock"), "/containers");
      expect(JSON.parse(listed.body)).toEqual({ Handles: [] });
    });
  },
);
