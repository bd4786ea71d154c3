import { randomUUID } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { openVolumeData, sweepVolumeData } from "@grove/api";
import { isMountPoint, loopDevicesFor } from "@grove/images";
import { VOLUME_DATA_BUCKET } from "@grove/protocol";
import { describeWith, it } from "@grove/testkit";
import { tarOf } from "@grove/testkit/archives";
import { expect, onTestFinished } from "vitest";
import type { CellProcess } from "./cell-process";
import {
  type Cluster,
  eventually,
  expectStatus,
  httpGet,
  type InstanceView,
  killAppProcesses,
  startCluster,
} from "./cluster-harness";

/**
 * busybox httpd with CGI scripts: one counts visits in /data/count, one writes past the volume's
 * size, one writes 6 MiB of random data to /data/blob once (a copy of it takes a while), one prints
 * its md5.
 */
async function counterBits(): Promise<Buffer> {
  const cgi = (body: string) => ({ name: "", body: `#!/bin/sh\n${body}`, mode: 0o755 });
  return tarOf([
    { name: "index.html", body: "counter\n" },
    { name: "cgi-bin/", type: "directory" },
    {
      ...cgi(
        'n=$(cat /data/count 2>/dev/null || echo 0)\nn=$((n + 1))\necho "$n" > /data/count\n' +
          "printf 'Content-Type: text/plain\\r\\n\\r\\nvisits=%s\\n' \"$n\"\n",
      ),
      name: "cgi-bin/visit",
    },
    {
      ...cgi(
        "out=$(dd if=/dev/zero of=/data/fill bs=1M count=64 2>&1); rc=$?\nrm -f /data/fill\n" +
          'printf \'Content-Type: text/plain\\r\\n\\r\\nrc=%s %s\\n\' "$rc" "$out"\n',
      ),
      name: "cgi-bin/fill",
    },
    {
      ...cgi(
        "[ -f /data/blob ] || dd if=/dev/urandom of=/data/blob bs=1M count=6 2>/dev/null\n" +
          "printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$(md5sum < /data/blob)\"\n",
      ),
      name: "cgi-bin/blob",
    },
  ]);
}

async function visit(instance: InstanceView, script = "visit"): Promise<string> {
  const res = await httpGet(instance.ports[0]?.host_port as number, undefined, `/cgi-bin/${script}`);
  expect(res.status, res.body).toBe(200);
  return res.body.trim();
}

/** A volume of `sizeMb` and an app `app` of the counter's bits mounting it at /data; its one RUNNING instance. */
async function counterOn(c: Cluster, volume: string, sizeMb: number, app: string): Promise<InstanceView> {
  await expectStatus(
    await c.call("/v1/volumes", { method: "POST", json: { name: volume, size_mb: sizeMb } }),
    201,
  );
  await expectStatus(
    await c.call("/v1/apps", {
      method: "POST",
      json: {
        name: app,
        command: "httpd -f -p $PORT -h /home/vcap/app",
        memory_mb: 64,
        volumes: [{ name: volume, path: "/data" }],
      },
    }),
    201,
  );
  await expectStatus(await c.call(`/v1/apps/${app}/bits`, { method: "PUT", body: await counterBits() }), 200);
  const [first] = (await c.running(app, 1)) as [InstanceView];
  return first;
}

/** The one RUNNING instance of `app` once it is not `previous` (a replacement). */
function replacement(c: Cluster, app: string, previous?: string): Promise<InstanceView> {
  return eventually(async () => {
    const up = (await c.instances(app)).filter((i) => i.state === "RUNNING" && i.id !== previous);
    return up.length === 1 ? up[0] : undefined;
  }, 90_000);
}

describeWith(["root", "runc", "postgres", "nats", "network"], "volumes on a real cell", () => {
  it("the tour: keeps a visit count across a crash, scaling to 0 and back, an agent kill -9 and a drain that moves the data to another cell; a write past the size is ENOSPC and the cell stays healthy; another tenant gets 404; a delete frees the cell", {
    timeout: 300_000,
  }, async ({ pg, nats }) => {
    // heartbeats stored every second even when nothing changed (the test watches the cell stay
    // healthy); a loaded machine may take a while to start the killed agent again: not lost meanwhile
    const c = await startCluster(pg, nats, {
      cellCount: 2,
      presenceTtlMs: 60_000,
      apiEnv: { GROVE_HEARTBEAT_REFRESH_MS: "1000" },
    });
    await expectStatus(
      await c.call("/v1/volumes", { method: "POST", json: { name: "visits", size_mb: 8 } }),
      201,
    );
    const mount = { volumes: [{ name: "visits", path: "/data" }] };
    await expectStatus(
      await c.call("/v1/apps", {
        method: "POST",
        json: { name: "counter", command: "httpd -f -p $PORT -h /home/vcap/app", memory_mb: 64, ...mount },
      }),
      201,
    );
    await expectStatus(
      await c.call("/v1/apps/counter/bits", { method: "PUT", body: await counterBits() }),
      200,
    );
    const [first] = (await c.running("counter", 1)) as [InstanceView];
    const cell = c.cells.find((x) => x.name === first.cell?.name) as CellProcess;
    const other = c.cells.find((x) => x !== cell) as CellProcess;
    const volumesDir = join(cell.stateDir, "volumes");
    expect(await visit(first)).toBe("visits=1");
    expect(await visit(first)).toBe("visits=2");
    expect(await expectStatus(await c.call("/v1/volumes/visits"), 200)).toMatchObject({ cell: cell.name });
    const [volumeId] = (await readdir(join(volumesDir, "images"))).map((f) => f.replace(/\.ext4$/, ""));
    expect(await isMountPoint(join(volumesDir, "mounts", volumeId as string))).toBe(true);

    // a write past the size: ENOSPC inside the container; the count and the cell are fine
    const filled = await visit(first, "fill");
    expect(filled).toMatch(/^rc=1 .*No space left on device/s);
    // heartbeats are stored only on change, so the cell's health is its state (it would be lost if silent)
    const cellsNow = (await expectStatus(await c.call("/v1/cells"), 200)) as {
      items: { name: string; state: string }[];
    };
    expect(cellsNow.items.find((x) => x.name === cell.name)?.state).toBe("active");
    expect(await visit(first)).toBe("visits=3");

    // the process dies: the replacement (stopped first, then started: one writer) reads the count
    expect(await killAppProcesses(cell, first.id)).toBeGreaterThan(0);
    const second = await replacement(c, "counter", first.id);
    expect(await visit(second)).toBe("visits=4");

    // scale to 0 and back
    await expectStatus(await c.call("/v1/apps/counter", { method: "PATCH", json: { instances: 0 } }), 200);
    await eventually(async () =>
      (await c.instances("counter")).every((i) => i.state === "STOPPED") ? true : undefined,
    );
    await expectStatus(await c.call("/v1/apps/counter", { method: "PATCH", json: { instances: 1 } }), 200);
    const third = await replacement(c, "counter", second.id);
    expect(await visit(third)).toBe("visits=5");
    // single-writer: a second instance is refused, saying why
    const refused = (await expectStatus(
      await c.call("/v1/apps/counter", { method: "PATCH", json: { instances: 2 } }),
      422,
    )) as { detail: string };
    expect(refused.detail).toMatch(/single-writer/);

    // the agent is killed with -9 and comes back: the instance ran on, the volume stayed mounted
    await cell.kill("SIGKILL");
    expect(await isMountPoint(join(volumesDir, "mounts", volumeId as string))).toBe(true);
    expect(await visit(third)).toBe("visits=6");
    await cell.start();
    const [after] = (await c.running("counter", 1, 30_000)) as [InstanceView];
    expect(after.id).toBe(third.id);
    expect(await visit(after)).toBe("visits=7");

    // a drain moves the data: the instance stops, the volume is copied to the other cell, it starts there
    const cells = (await expectStatus(await c.call("/v1/cells"), 200)) as {
      items: { id: string; name: string }[];
    };
    const cellId = cells.items.find((x) => x.name === cell.name)?.id;
    const drained = await expectStatus(await c.call(`/v1/cells/${cellId}/drain`, { method: "POST" }), 200);
    expect(drained).toMatchObject({ state: "draining", volumes: 1 });
    const moved = await replacement(c, "counter", after.id);
    expect(moved.cell?.name).toBe(other.name);
    expect(await visit(moved)).toBe("visits=8");
    expect(await expectStatus(await c.call("/v1/volumes/visits"), 200)).toMatchObject({
      cell: other.name,
      state: "ready",
      reason: null,
    });
    // the old copy goes from the drained cell
    await eventually(
      async () => ((await readdir(join(volumesDir, "images"))).length === 0 ? true : undefined),
      60_000,
    );
    expect(await isMountPoint(join(volumesDir, "mounts", volumeId as string))).toBe(false);

    // another tenant cannot mount it: not found, like a missing volume
    await expectStatus(await c.t.call("/v1/tenants", { method: "POST", json: { name: "other" } }), 201);
    const theirs = (await expectStatus(
      await c.tenant("other").call("/v1/apps", {
        method: "POST",
        json: { name: "thief", command: "httpd -f -p $PORT", ...mount },
      }),
      404,
    )) as { detail: string };
    expect(theirs.detail).toBe("no volume visits");

    // in use: refused, naming the app; once the app is gone the delete frees the cell
    const inUse = (await expectStatus(await c.call("/v1/volumes/visits", { method: "DELETE" }), 409)) as {
      detail: string;
    };
    expect(inUse.detail).toMatch(/mounted by app counter/);
    await expectStatus(await c.call("/v1/apps/counter", { method: "DELETE" }), 204);
    await expectStatus(await c.call("/v1/volumes/visits", { method: "DELETE" }), 204);
    const otherDir = join(other.stateDir, "volumes");
    const image = join(otherDir, "images", `${volumeId}.ext4`);
    await eventually(
      async () => ((await readdir(join(otherDir, "images"))).length === 0 ? true : undefined),
      60_000,
    );
    expect(await loopDevicesFor(image)).toEqual([]);
    expect(await isMountPoint(join(otherDir, "mounts", volumeId as string))).toBe(false);
  });

  it("snapshots a volume in use, restores it onto another cell (the data of the snapshot, not later writes), counts snapshots against volume storage, deletes them", {
    timeout: 300_000,
  }, async ({ pg, nats }) => {
    const c = await startCluster(pg, nats, { cellCount: 2 });
    const first = await counterOn(c, "notes", 8, "counter");
    expect(await visit(first)).toBe("visits=1");
    expect(await visit(first)).toBe("visits=2");

    // taken while the instance runs (its filesystem frozen while read)
    const snapshot = await expectStatus(
      await c.call("/v1/volumes/notes/snapshots", { method: "POST", json: { name: "two" } }),
      201,
    );
    expect(snapshot).toMatchObject({ name: "two", volume: "notes", size_mb: 8 });
    expect(await visit(first)).toBe("visits=3");
    const quota = (await expectStatus(await c.call("/v1/tenants/default/quota"), 200)) as {
      volume_mb: { usage: number };
    };
    expect(quota.volume_mb.usage).toBe(16);

    // restoring under a running instance is refused; once scaled to 0 it is accepted
    const busy = (await expectStatus(
      await c.call("/v1/volumes/notes/restore", { method: "POST", json: { snapshot: "two" } }),
      409,
    )) as { detail: string };
    expect(busy.detail).toMatch(/held by instance counter\/0/);
    await expectStatus(await c.call("/v1/apps/counter", { method: "PATCH", json: { instances: 0 } }), 200);
    await eventually(async () =>
      (await c.instances("counter")).every((i) => i.state === "STOPPED") ? true : undefined,
    );
    const restoring = await expectStatus(
      await c.call("/v1/volumes/notes/restore", { method: "POST", json: { snapshot: "two" } }),
      200,
    );
    expect(restoring).toMatchObject({ state: "restoring", cell: null });

    // the next instance lands on the other cell (the first drained) and finds the snapshot's count
    const cells = (await expectStatus(await c.call("/v1/cells"), 200)) as {
      items: { id: string; name: string }[];
    };
    const firstCell = cells.items.find((x) => x.name === first.cell?.name);
    await expectStatus(await c.call(`/v1/cells/${firstCell?.id}/drain`, { method: "POST" }), 200);
    await expectStatus(await c.call("/v1/apps/counter", { method: "PATCH", json: { instances: 1 } }), 200);
    const restored = await replacement(c, "counter", first.id);
    expect(restored.cell?.name).not.toBe(first.cell?.name);
    expect(await visit(restored)).toBe("visits=3");
    expect(await expectStatus(await c.call("/v1/volumes/notes"), 200)).toMatchObject({
      state: "ready",
      cell: restored.cell?.name,
    });
    // the copy on the first cell is gone
    const oldImages = join(
      (c.cells.find((x) => x.name === first.cell?.name) as CellProcess).stateDir,
      "volumes",
      "images",
    );
    await eventually(async () => ((await readdir(oldImages)).length === 0 ? true : undefined), 60_000);

    const listed = (await expectStatus(await c.call("/v1/volumes/notes/snapshots"), 200)) as {
      items: { name: string }[];
    };
    expect(listed.items.map((x) => x.name)).toEqual(["two"]);
    await expectStatus(await c.call("/v1/volumes/notes/snapshots/two", { method: "DELETE" }), 204);
    await expectStatus(await c.call("/v1/volumes/notes/snapshots/two", { method: "DELETE" }), 404);
    const after = (await expectStatus(await c.call("/v1/tenants/default/quota"), 200)) as {
      volume_mb: { usage: number };
    };
    expect(after.volume_mb.usage).toBe(8);
  });

  it("an undrain while the data is being copied leaves it in one place, the instance running with it and nothing half-copied; a volume on a lost cell waits for the cell, saying so, until a snapshot is restored elsewhere", {
    timeout: 300_000,
  }, async ({ pg, nats }) => {
    const c = await startCluster(pg, nats, { cellCount: 2 });
    const first = await counterOn(c, "keep", 16, "keeper");
    expect(await visit(first)).toBe("visits=1");
    const blob = await visit(first, "blob");
    const firstCell = c.cells.find((x) => x.name === first.cell?.name) as CellProcess;
    const [image] = await readdir(join(firstCell.stateDir, "volumes", "images"));
    const volume = { id: (image as string).replace(/\.ext4$/, "") };
    const store = await openVolumeData(c.t.nc);
    const objects = async () => (await store.list()).filter((o) => !o.deleted).map((o) => o.name);
    const cellIds = new Map(
      (
        (await expectStatus(await c.call("/v1/cells"), 200)) as { items: { id: string; name: string }[] }
      ).items.map((x) => [x.name, x.id]),
    );
    /** the cells whose store holds the volume's image */
    const holders = async () => {
      const found: string[] = [];
      for (const cell of c.cells) {
        const images = await readdir(join(cell.stateDir, "volumes", "images")).catch(() => [] as string[]);
        if (images.includes(`${volume.id}.ext4`)) found.push(cell.name);
      }
      return found;
    };
    expect(await holders()).toEqual([first.cell?.name]);

    // drain; the moment the copy's first chunk reaches the store, undrain
    const chunk = new Promise<void>((resolve) => {
      const sub = c.t.nc.subscribe(`$O.${VOLUME_DATA_BUCKET}.C.>`, { max: 1, callback: () => resolve() });
      onTestFinished(() => sub.unsubscribe());
    });
    const firstCellId = cellIds.get(first.cell?.name ?? "");
    await expectStatus(await c.call(`/v1/cells/${firstCellId}/drain`, { method: "POST" }), 200);
    await chunk;
    await expectStatus(await c.call(`/v1/cells/${firstCellId}/undrain`, { method: "POST" }), 200);

    // one instance runs with the data, on the cell the volume names, and only that cell holds it
    const back = await replacement(c, "keeper", first.id);
    expect(await visit(back)).toBe("visits=2");
    expect(await visit(back, "blob")).toBe(blob);
    const settled = await eventually(async () => {
      const shown = (await expectStatus(await c.call("/v1/volumes/keep"), 200)) as {
        state: string;
        cell: string;
      };
      return shown.state === "ready" ? shown : undefined;
    });
    expect(settled.cell).toBe(back.cell?.name);
    await eventually(async () => ((await holders()).join() === back.cell?.name ? true : undefined), 60_000);
    // nothing half-copied left in the store: the move's copy is gone (used or dropped)
    await eventually(async () => ((await objects()).length === 0 ? true : undefined), 60_000);
    expect(await sweepVolumeData({ db: c.t.db, nc: c.t.nc }, { objectMs: 0, chunkMs: 0 })).toEqual({
      objects: 0,
      chunks: 0,
    });

    // a snapshot, a write after it, then the volume's cell is lost (its agent dies and stays away)
    await expectStatus(
      await c.call("/v1/volumes/keep/snapshots", { method: "POST", json: { name: "s" } }),
      201,
    );
    expect(await visit(back)).toBe("visits=3");
    const lostCell = c.cells.find((x) => x.name === back.cell?.name) as CellProcess;
    const otherCell = c.cells.find((x) => x !== lostCell) as CellProcess;
    await lostCell.kill("SIGKILL");
    // the replacement is not placed on the other cell without the data; the reason says why and what to do
    const waiting = await eventually(async () => {
      const all = await c.instances("keeper");
      return all.find((i) => i.id !== back.id && /which is lost/.test(i.reason ?? ""));
    }, 90_000);
    expect(waiting.reason).toBe(
      `volume data on cell ${lostCell.name}, which is lost: the instance starts when the cell is back, or elsewhere once a snapshot is restored (scale to 0, then grove volumes restore keep SNAPSHOT)`,
    );
    expect(waiting.cell).toBeNull();

    // restored from the snapshot: it starts on the other cell with the snapshot's data
    await expectStatus(await c.call("/v1/apps/keeper", { method: "PATCH", json: { instances: 0 } }), 200);
    await eventually(async () =>
      (await c.instances("keeper")).every((i) => i.state === "STOPPED") ? true : undefined,
    );
    await expectStatus(
      await c.call("/v1/volumes/keep/restore", { method: "POST", json: { snapshot: "s" } }),
      200,
    );
    await expectStatus(await c.call("/v1/apps/keeper", { method: "PATCH", json: { instances: 1 } }), 200);
    const restored = await replacement(c, "keeper", back.id);
    expect(restored.cell?.name).toBe(otherCell.name);
    expect(await visit(restored)).toBe("visits=3");
    expect(await visit(restored, "blob")).toBe(blob);

    // the lost cell comes back: its old copy is removed, the data lives on the other cell only
    await lostCell.start();
    await eventually(async () => ((await holders()).join() === otherCell.name ? true : undefined), 90_000);
    expect(await visit(restored)).toBe("visits=4");
    // the sweep keeps what is needed (the snapshot) and removes an archive nothing records
    const orphan = `snapshot-${randomUUID()}`;
    await store.put({ name: orphan }, new Blob([Buffer.from("half a snapshot")]).stream());
    expect(await sweepVolumeData({ db: c.t.db, nc: c.t.nc })).toEqual({ objects: 0, chunks: 0 });
    expect(await sweepVolumeData({ db: c.t.db, nc: c.t.nc }, { objectMs: 0, chunkMs: 0 })).toEqual({
      objects: 1,
      chunks: 0,
    });
    expect(await objects()).toHaveLength(1);
    expect((await objects())[0]).toMatch(/^snapshot-/);
    expect(await objects()).not.toContain(orphan);
  });
});
