import { randomUUID } from "node:crypto";
import { chmod, lstat, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { exportVolume, importVolume, openVolumeData } from "@grove/api";
import { VCAP_ID } from "@grove/images";
import { decodeOrThrow, encode, subjects, VolumeTransferReply, VolumeTransferRequest } from "@grove/protocol";
import { describeWith, it, makeTempDir } from "@grove/testkit";
import pino from "pino";
import { expect, onTestFinished } from "vitest";
import { VolumeStore } from "../src/volume-store";
import { VolumeTransfers } from "../src/volume-transfers";

const log = pino({ level: "silent" });
const OWNER = 100000 + VCAP_ID;

describeWith(
  ["root", "nats"],
  "volume transfers: a cell's volume archived into the object store and unpacked on another",
  () => {
    it("copies files, ownership and modes from one cell's volume to another's through the store; refuses a busy volume for a move and a damaged archive", {
      timeout: 60_000,
    }, async ({ nats }) => {
      const temp = await makeTempDir("gvxf-");
      await chmod(temp.path, 0o755);
      const nc = await nats.connect();
      const mounted = new Map<string, string[]>();
      const cell = async (name: string) => {
        const volumes = new VolumeStore({ dir: join(temp.path, name, "volumes"), ownerId: OWNER, log });
        await volumes.open();
        const cellId = `${name}-${randomUUID()}`;
        const transfers = new VolumeTransfers({
          nats: nc,
          cellId,
          volumes,
          mounting: (id) => mounted.get(id) ?? [],
          dir: join(temp.path, name, "transfers"),
          log,
        });
        await transfers.listen();
        return { volumes, transfers, cellId };
      };
      const a = await cell("a");
      const b = await cell("b");
      onTestFinished(async () => {
        for (const c of [a, b]) {
          c.transfers.close();
          await c.volumes.detachAll();
        }
        await nc.close();
        await temp.remove();
      });
      const volumeId = randomUUID();
      const dir = await a.volumes.ensure(volumeId, 8);
      await writeFile(join(dir, "count"), "41\n", { mode: 0o640 });
      await writeFile(join(dir, "big"), Buffer.alloc(1024 * 1024, 7));
      const store = await openVolumeData(nc);

      const archive = await exportVolume(
        nc,
        store,
        { cellId: a.cellId, volumeId, idle: true },
        `t-${volumeId}`,
        {},
      );
      expect(archive.bytes).toBeGreaterThan(1024 * 1024);
      const copied = await importVolume(
        nc,
        store,
        { cellId: b.cellId, volumeId, sizeMb: 8 },
        `t-${volumeId}`,
      );
      expect(copied).toEqual(archive);
      const copy = join(b.volumes.mountsDir, volumeId);
      expect(await readFile(join(copy, "count"), "utf8")).toBe("41\n");
      expect((await readFile(join(copy, "big"))).equals(Buffer.alloc(1024 * 1024, 7))).toBe(true);
      const root = await lstat(copy);
      expect([root.uid, root.mode & 0o777]).toEqual([OWNER, 0o755]);
      expect((await lstat(join(copy, "count"))).mode & 0o777).toBe(0o640);

      // a move waits for the instance that mounts it to stop; a snapshot does not
      mounted.set(volumeId, ["i-1"]);
      await expect(
        exportVolume(nc, store, { cellId: a.cellId, volumeId, idle: true }, `t-${volumeId}`),
      ).rejects.toThrow(/still mounted by instance i-1/);
      await exportVolume(nc, store, { cellId: a.cellId, volumeId, idle: false }, `t-${volumeId}`);
      mounted.clear();

      // an archive that does not match what was sent is refused; the volume stays as it was
      await writeFile(join(copy, "count"), "42\n");
      const ask = (action: VolumeTransferRequest["action"]) =>
        nc
          .request(
            subjects.volumeTransfers(b.cellId),
            encode(VolumeTransferRequest, { v: 1, transferId: "t1", action }),
          )
          .then((msg) => decodeOrThrow(VolumeTransferReply, msg.data));
      const junk = Buffer.from("not a tar").toString("base64");
      expect(await ask({ type: "write", offset: 0, data: junk })).toMatchObject({ ok: true });
      const damaged = await ask({ type: "import", volumeId, sizeMb: 8, bytes: 9, sha256: "0".repeat(64) });
      expect(damaged).toMatchObject({ ok: false, error: expect.stringMatching(/arrived damaged/) });
      expect(await readFile(join(copy, "count"), "utf8")).toBe("42\n");
    });
  },
);
