/**
 * Volumes benchmark: inside one real runC container (garden's runtime, busybox stack, run as
 * vcap), the same probe on a VolumeStore volume (ext4 image on a loop device, bind-mounted at
 * /data) and on the cell's own filesystem (a host directory on the same disk, bind-mounted the same
 * way at /host), in the same run: sequential write MB/s (1 MiB writes, one fsync at the end),
 * sequential read MB/s (O_DIRECT, so the page cache is bypassed; the volume's backing image is also
 * dropped from the host's page cache first, or the loop device would read it from memory), and the
 * latency of a 4 KiB append + fsync, p50/p99. The probe (bench/volumes-probe.c) is compiled static
 * here and bind-mounted read-only. Target: every ratio volume/host ≥ 0.8 (for latency, host/volume).
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { runChild } from "@grove/child";
import { CgroupV1, createGarden, DEFAULT_UID_MAPPING, type Garden } from "@grove/garden";
import { createImages, VCAP_ID } from "@grove/images";
import { makeTempDir } from "@grove/testkit/services";
import { pino } from "pino";
import { VolumeStore } from "../apps/agent/src/volume-store";
import { percentile, report } from "./lib";

const SIZE_MB = Number(process.env.BENCH_VOLUME_MB ?? 256);
const FSYNCS = Number(process.env.BENCH_FSYNCS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const OWNER = DEFAULT_UID_MAPPING.hostId + VCAP_ID;

interface Figures {
  writeMBps: number;
  readMBps: number;
  fsyncP50Us: number;
  fsyncP99Us: number;
}

export async function main(): Promise<string> {
  const temp = await makeTempDir("grove-bench-");
  await chmod(temp.path, 0o755); // user-namespaced containers must traverse to their rootfs
  const id = randomBytes(3).toString("hex");
  const log = pino({ level: "warn" });
  const volumes = new VolumeStore({ dir: join(temp.path, "volumes"), ownerId: OWNER, log });
  const hostDir = join(temp.path, "host");
  const probeDir = join(temp.path, "probe");
  const cgroupParent = `grove-bench-${id}`;
  let garden: Garden | undefined;
  try {
    await volumes.open();
    // the image gets room for the file, ext4's metadata and the fsync file
    const volumeDir = await volumes.ensure("bench", SIZE_MB + 64);
    await mkdir(hostDir, { mode: 0o755 });
    await chown(hostDir, OWNER, OWNER);
    await mkdir(probeDir, { mode: 0o755 });
    const probe = join(probeDir, "probe");
    await runChild(
      "cc",
      ["-static", "-O2", "-Wall", "-o", probe, join(import.meta.dirname, "volumes-probe.c")],
      {
        hint: "The volumes bench compiles its probe statically: install gcc and libc6-dev (npm run setup).",
      },
    );
    garden = await createGarden(
      {
        depotDir: join(temp.path, "depot"),
        runtimeRoot: join(temp.path, "runc"),
        cgroupParent,
        bindMountSourceRoots: [volumes.mountsDir, hostDir, probeDir],
        logger: log,
      },
      { volumizer: createImages({ storeDir: join(temp.path, "images") }) },
    );
    const container = await garden.create({
      handle: "volumes",
      bindMounts: [
        { srcPath: volumeDir, dstPath: "/data", mode: "rw", origin: "host" },
        { srcPath: hostDir, dstPath: "/host", mode: "rw", origin: "host" },
        { srcPath: probeDir, dstPath: "/probe", mode: "ro", origin: "host" },
      ],
    });
    const probeIn = async (args: string[]): Promise<string> => {
      const probeProcess = await container.run({ path: "/probe/probe", args, user: "vcap" });
      const [code, out, err] = await Promise.all([
        probeProcess.wait(),
        text(probeProcess.stdout()),
        text(probeProcess.stderr()),
      ]);
      if (code !== 0) throw new Error(`probe ${args.join(" ")} exited ${code}: ${err}`);
      return out;
    };
    const evict = (file: string) =>
      runChild(probe, ["evict", file], { hint: "the probe evicts on the host" });
    const measure = async (dir: "/data" | "/host", backing: string): Promise<Figures> => {
      const [written, writeSeconds] = (await probeIn(["write", `${dir}/seq`, String(SIZE_MB)])).split(" ");
      await evict(backing);
      const [read, readSeconds] = (await probeIn(["read", `${dir}/seq`])).split(" ");
      await probeIn(["write", `${dir}/seq`, "0"]); // frees the space before the fsync loop
      const latencies = (await probeIn(["fsync", `${dir}/sync`, String(FSYNCS)]))
        .trim()
        .split("\n")
        .map(Number);
      return {
        writeMBps: Number(written) / 2 ** 20 / Number(writeSeconds),
        readMBps: Number(read) / 2 ** 20 / Number(readSeconds),
        fsyncP50Us: percentile(latencies, 50),
        fsyncP99Us: percentile(latencies, 99),
      };
    };
    const volumeImage = join(temp.path, "volumes", "images", "bench.ext4");
    const volume: Figures[] = [];
    const host: Figures[] = [];
    // alternate, so neither side always runs on a disk the other has just made busy
    for (let round = 0; round < ROUNDS; round++) {
      volume.push(await measure("/data", volumeImage));
      host.push(await measure("/host", join(hostDir, "seq")));
    }
    const v = best(volume);
    const h = best(host);
    const ratios = {
      write: v.writeMBps / h.writeMBps,
      read: v.readMBps / h.readMBps,
      fsync_p50: h.fsyncP50Us / v.fsyncP50Us,
      fsync_p99: h.fsyncP99Us / v.fsyncP99Us,
    };
    return report(
      "volumes",
      [
        ["file MB, rounds (best round per side)", `${SIZE_MB}, ${ROUNDS}`],
        ["volume seq write MB/s (1 MiB writes + fsync)", v.writeMBps],
        ["host dir seq write MB/s", h.writeMBps],
        ["ratio write (target >= 0.8)", ratios.write],
        ["volume seq read MB/s (O_DIRECT)", v.readMBps],
        ["host dir seq read MB/s (O_DIRECT)", h.readMBps],
        ["ratio read (target >= 0.8)", ratios.read],
        [`volume 4 KiB append+fsync p50 / p99 us (${FSYNCS})`, `${v.fsyncP50Us} / ${v.fsyncP99Us}`],
        ["host dir 4 KiB append+fsync p50 / p99 us", `${h.fsyncP50Us} / ${h.fsyncP99Us}`],
        ["ratio fsync p50, host/volume (target >= 0.8)", ratios.fsync_p50],
        ["ratio fsync p99, host/volume (target >= 0.8)", ratios.fsync_p99],
      ],
      {
        size_mb: SIZE_MB,
        fsyncs: FSYNCS,
        rounds: ROUNDS,
        read_mode: "O_DIRECT; the volume's ext4 image dropped from the host page cache before reading",
        volume: v,
        host: h,
        ratios,
        meets_target: Object.values(ratios).every((ratio) => ratio >= 0.8),
      },
    );
  } finally {
    if (garden) {
      for (const c of await garden.containers({}, { includeIncomplete: true }))
        await garden.destroy(c.handle).catch(() => {});
      await garden.close();
      await new CgroupV1(`/${cgroupParent}`).remove();
    }
    // unmounts, detaches the loop device and removes the image
    await volumes.remove("bench").catch((error) => console.error(`volume cleanup: ${error}`));
    await rm(hostDir, { recursive: true, force: true });
    await temp.remove();
  }
}

/** Each figure's best round: the run least disturbed by the rest of the machine. */
function best(rounds: Figures[]): Figures {
  return {
    writeMBps: Math.max(...rounds.map((r) => r.writeMBps)),
    readMBps: Math.max(...rounds.map((r) => r.readMBps)),
    fsyncP50Us: Math.min(...rounds.map((r) => r.fsyncP50Us)),
    fsyncP99Us: Math.min(...rounds.map((r) => r.fsyncP99Us)),
  };
}

function text(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("error", reject);
    stream.once("end", () => resolve(Buffer.concat(chunks).toString()));
  });
}
