/**
 * Volumes benchmark: inside one real runC container (garden's runtime, busybox stack, run as
 * vcap), the same probe on a VolumeStore volume (ext4 image on a loop device with direct I/O,
 * bind-mounted at /data), on the other backend issue 14 weighs (one XFS filesystem on a loop file
 * holding volumes as project-quota directories, at /xfs) and on the cell's own filesystem (a host
 * directory on the same disk, bind-mounted the same way at /host), in the same run: sequential
 * write MB/s (1 MiB writes, one fsync at the end), sequential read MB/s (O_DIRECT, so the page
 * cache is bypassed; backing images are also dropped from the host's page cache first), and the
 * latency of a 4 KiB append + fsync, p50/p99, with the cache flushes each fsync sends down the
 * loop device (each is an fsync of the image file on the host). The fsyncs of all sides take
 * turns in one probe, so a busy moment of the machine weighs on every side alike. The probe
 * (bench/volumes-probe.c) is compiled static here and bind-mounted read-only. Target: every ratio
 * volume/host ≥ 0.8 (for latency, host/volume). A fourth side is the store's volume as it was made
 * before (ext4 with a journal and fast commits), so the change is measured in the same run. The
 * load average is recorded: figures taken with a load above the core count need a quiet re-run.
 */
import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, rm } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { basename, join } from "node:path";
import { runChild, tryChild } from "@grove/child";
import { CgroupV1, createGarden, DEFAULT_UID_MAPPING, type Garden } from "@grove/garden";
import { createImages, loopDevicesFor, VCAP_ID } from "@grove/images";
import { makeTempDir } from "@grove/testkit/services";
import { pino } from "pino";
import { VolumeStore } from "../apps/agent/src/volume-store";
import { percentile, report, round } from "./lib";

const SIZE_MB = Number(process.env.BENCH_VOLUME_MB ?? 256);
const FSYNCS = Number(process.env.BENCH_FSYNCS ?? 500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const OWNER = DEFAULT_UID_MAPPING.hostId + VCAP_ID;

interface Figures {
  writeMBps: number;
  readMBps: number;
  /** O_DIRECT reads of 4 MiB, the host disk's largest request (a loop device's is 1280 KiB) */
  read4MBps: number;
  fsyncP50Us: number;
  fsyncP99Us: number;
  /** cache flushes sent down the loop device per fsync (none for the host directory) */
  flushesPerFsync: number;
  /** the same fsync overwriting a block the file has (no block allocated: no bitmap write) */
  overwriteP50Us: number;
  overwriteP99Us: number;
}

/**
 * What one fsync (4 KiB append) costs in requests, from a short run of that side alone: writes and
 * flushes sent to its loop device, and writes and flushes the host disk under everything completed
 * (the disk's counters: another process writing at that moment adds to them).
 */
interface DeviceOps {
  loopWrites: number;
  loopFlushes: number;
  diskWrites: number;
  diskFlushes: number;
}

type Sequential = Pick<Figures, "writeMBps" | "readMBps" | "read4MBps">;
type Synced = Pick<Figures, "fsyncP50Us" | "fsyncP99Us" | "flushesPerFsync">;
type Overwritten = Pick<Figures, "overwriteP50Us" | "overwriteP99Us">;

type Side = "/data" | "/old" | "/xfs" | "/host";

export async function main(): Promise<string> {
  const temp = await makeTempDir("grove-bench-");
  await chmod(temp.path, 0o755); // user-namespaced containers must traverse to their rootfs
  const id = randomBytes(3).toString("hex");
  const log = pino({ level: "warn" });
  const volumes = new VolumeStore({ dir: join(temp.path, "volumes"), ownerId: OWNER, log });
  const hostDir = join(temp.path, "host");
  const probeDir = join(temp.path, "probe");
  const xfsImage = join(temp.path, "xfs.img");
  const xfsMount = join(temp.path, "xfs");
  const xfsDir = join(xfsMount, "volume");
  const oldImage = join(temp.path, "old.ext4");
  const oldMount = join(temp.path, "old");
  const oldDir = join(oldMount, "volume");
  const loadBefore = loadavg();
  const cgroupParent = `grove-bench-${id}`;
  let garden: Garden | undefined;
  try {
    await volumes.open();
    // the image gets room for the file, ext4's metadata and the fsync file
    const volumeDir = await volumes.ensure("bench", SIZE_MB + 64);
    await mkdir(hostDir, { mode: 0o755 });
    await chown(hostDir, OWNER, OWNER);
    const xfs = await mountXfs(xfsImage, xfsMount, Math.max(512, SIZE_MB * 2));
    await mkdir(xfsDir, { mode: 0o755 });
    await chown(xfsDir, OWNER, OWNER);
    const oldLoop = await mountJournaledExt4(oldImage, oldMount, SIZE_MB + 64);
    await mkdir(oldDir, { mode: 0o755 });
    await chown(oldDir, OWNER, OWNER);
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
        bindMountSourceRoots: [volumes.mountsDir, hostDir, probeDir, xfsDir, oldDir],
        logger: log,
      },
      { volumizer: createImages({ storeDir: join(temp.path, "images") }) },
    );
    const container = await garden.create({
      handle: "volumes",
      bindMounts: [
        { srcPath: volumeDir, dstPath: "/data", mode: "rw", origin: "host" },
        { srcPath: hostDir, dstPath: "/host", mode: "rw", origin: "host" },
        { srcPath: xfsDir, dstPath: "/xfs", mode: "rw", origin: "host" },
        { srcPath: oldDir, dstPath: "/old", mode: "rw", origin: "host" },
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
    const volumeImage = join(temp.path, "volumes", "images", "bench.ext4");
    const volumeLoop = (await loopDevicesFor(volumeImage))[0] ?? "";
    const loops: Record<Side, string | undefined> = {
      "/data": volumeLoop,
      "/old": oldLoop,
      "/xfs": xfs.loop,
      "/host": undefined,
    };
    const backings: Record<Side, string> = {
      "/data": volumeImage,
      "/old": oldImage,
      "/xfs": xfsImage,
      "/host": join(hostDir, "seq"),
    };
    const sides = ["/data", "/host", "/old", "/xfs"] as const;
    const hostDisk = await diskUnder(hostDir);
    /** per side, the fsync latencies of one probe run in which the sides' fsyncs take turns */
    const turns = async (mode: "fsync" | "refsync"): Promise<number[][]> => {
      const lines = (await probeIn([mode, String(FSYNCS), ...sides.map((side) => `${side}/sync`)]))
        .trim()
        .split("\n")
        .map((line) => line.split(" ").map(Number));
      return sides.map((_, index) => lines.filter(([side]) => side === index).map(([, us]) => us ?? 0));
    };
    /** fsync latencies (appending, then overwriting) and flushes per fsync of every side */
    const fsyncs = async (): Promise<(Synced & Overwritten)[]> => {
      const before = await Promise.all(sides.map((side) => flushesOf(loops[side])));
      const appended = await turns("fsync");
      const after = await Promise.all(sides.map((side) => flushesOf(loops[side])));
      const overwritten = await turns("refsync");
      return sides.map((_, index) => ({
        fsyncP50Us: percentile(appended[index] ?? [], 50),
        fsyncP99Us: percentile(appended[index] ?? [], 99),
        flushesPerFsync: ((after[index] ?? 0) - (before[index] ?? 0)) / FSYNCS,
        overwriteP50Us: percentile(overwritten[index] ?? [], 50),
        overwriteP99Us: percentile(overwritten[index] ?? [], 99),
      }));
    };
    /** the requests of one fsync on `side`, alone (see DeviceOps) */
    const deviceOps = async (side: Side): Promise<DeviceOps> => {
      const count = 200;
      const [loopBefore, diskBefore] = await Promise.all([requestsOf(loops[side]), requestsOf(hostDisk)]);
      await probeIn(["fsync", String(count), `${side}/ops`]);
      const [loopAfter, diskAfter] = await Promise.all([requestsOf(loops[side]), requestsOf(hostDisk)]);
      const per = (after: number, before: number) => round((after - before) / count);
      return {
        loopWrites: per(loopAfter.writes, loopBefore.writes),
        loopFlushes: per(loopAfter.flushes, loopBefore.flushes),
        diskWrites: per(diskAfter.writes, diskBefore.writes),
        diskFlushes: per(diskAfter.flushes, diskBefore.flushes),
      };
    };
    const measure = async (dir: Side): Promise<Sequential> => {
      const [written, writeSeconds] = (await probeIn(["write", `${dir}/seq`, String(SIZE_MB)])).split(" ");
      await evict(backings[dir]);
      const [read, readSeconds] = (await probeIn(["read", `${dir}/seq`])).split(" ");
      await evict(backings[dir]);
      const [read4, read4Seconds] = (await probeIn(["read", `${dir}/seq`, "4"])).split(" ");
      await probeIn(["write", `${dir}/seq`, "0"]); // frees the space before the fsync loop
      return {
        writeMBps: Number(written) / 2 ** 20 / Number(writeSeconds),
        readMBps: Number(read) / 2 ** 20 / Number(readSeconds),
        read4MBps: Number(read4) / 2 ** 20 / Number(read4Seconds),
      };
    };
    const rounds: Record<Side, Figures[]> = { "/data": [], "/old": [], "/xfs": [], "/host": [] };
    for (let round = 0; round < ROUNDS; round++) {
      // each round starts with another side, so no side always writes first or runs on a disk
      // another has just made busy
      const order = sides.map((_, index) => (index + round) % sides.length);
      const sequential: Sequential[] = [];
      for (const index of order) sequential[index] = await measure(sides[index] ?? "/host");
      const synced = await fsyncs();
      sides.forEach((side, index) => {
        const [s, f] = [sequential[index], synced[index]];
        if (s && f) rounds[side].push({ ...s, ...f });
      });
    }
    const ops: Record<Side, DeviceOps> = {
      "/data": await deviceOps("/data"),
      "/host": await deviceOps("/host"),
      "/old": await deviceOps("/old"),
      "/xfs": await deviceOps("/xfs"),
    };
    const loadAfter = loadavg();
    const v = best(rounds["/data"]);
    const o = best(rounds["/old"]);
    const x = best(rounds["/xfs"]);
    const h = best(rounds["/host"]);
    const ratiosOf = (f: Figures) => ({
      write: f.writeMBps / h.writeMBps,
      read: f.readMBps / h.readMBps,
      read_4mib: f.read4MBps / h.read4MBps,
      fsync_p50: h.fsyncP50Us / f.fsyncP50Us,
      fsync_p99: h.fsyncP99Us / f.fsyncP99Us,
      overwrite_fsync_p50: h.overwriteP50Us / f.overwriteP50Us,
      overwrite_fsync_p99: h.overwriteP99Us / f.overwriteP99Us,
    });
    const ratios = ratiosOf(v);
    const xfsRatios = ratiosOf(x);
    const oldRatios = ratiosOf(o);
    const volumeDio = await directIo(volumeLoop);
    const volumeWbt = await writebackThrottling(volumeLoop);
    const volumeFs = await ext4Of(volumeImage);
    const premises = {
      host_disk: hostDisk ?? "?",
      host_disk_write_cache: await writeCacheOf(hostDisk),
      volume_loop_write_cache: await writeCacheOf(volumeLoop),
      volume_direct_io: volumeDio,
      volume_image: await allocationOf(volumeImage),
    };
    const load = {
      cores: cpus().length,
      before_1m: round(loadBefore[0] ?? 0),
      after_1m: round(loadAfter[0] ?? 0),
      after_5m: round(loadAfter[1] ?? 0),
    };
    const loaded = Math.max(load.before_1m, load.after_1m) > load.cores;
    const hostJournal = await journalOf(hostDir);
    const line = (f: Figures) =>
      `${round(f.writeMBps)} / ${round(f.readMBps)} / ${round(f.read4MBps)} / ${f.fsyncP50Us} / ${f.fsyncP99Us} / ${f.overwriteP50Us} / ${f.overwriteP99Us} / ${f.flushesPerFsync}`;
    const ratioLine = (r: typeof ratios) =>
      `${round(r.write)} / ${round(r.read)} / ${round(r.read_4mib)} / ${round(r.fsync_p50)} / ${round(r.fsync_p99)} / ${round(r.overwrite_fsync_p50)} / ${round(r.overwrite_fsync_p99)}`;
    const opsLine = (o: DeviceOps, loop: boolean) =>
      `${loop ? `${o.loopWrites} + ${o.loopFlushes}` : "-"} / ${o.diskWrites} + ${o.diskFlushes}`;
    const image = premises.volume_image;
    return report(
      "volumes",
      [
        ["file MB, fsyncs, rounds (best round per side)", `${SIZE_MB}, ${FSYNCS}, ${ROUNDS}`],
        [
          "load average 1 min before / after, 5 min after (cores)",
          `${load.before_1m} / ${load.after_1m}, ${load.after_5m} (${load.cores})${loaded ? ": LOADED, these figures need a quiet re-run" : ""}`,
        ],
        [
          "columns",
          "write MB/s / O_DIRECT read MB/s (1 MiB; 4 MiB) / append+fsync p50 us / p99 us / overwrite+fsync p50 us / p99 us / loop flushes per fsync",
        ],
        [
          `ext4 loop volume (the store; ${volumeFs.blockSize} B blocks, ${volumeFs.journal ? "journal" : "no journal"}, direct I/O ${volumeDio ? "on" : "off"}, writeback throttling ${volumeWbt ? "on" : "off"})`,
          line(v),
        ],
        ["ext4 loop volume as before (journal, fast commits, writeback throttling on)", line(o)],
        [`xfs loop (project quotas ${xfs.projectQuotas ? "on" : "unavailable in this kernel"})`, line(x)],
        [`host dir (cell fs ${hostJournal})`, line(h)],
        ["ratio ext4 volume/host, fsync host/volume (target >= 0.8)", ratioLine(ratios)],
        ["ratio ext4 as before/host", ratioLine(oldRatios)],
        ["ratio xfs/host", ratioLine(xfsRatios)],
        [
          `requests per append+fsync: loop writes + flushes / host disk (${premises.host_disk}) writes + flushes`,
          `volume ${opsLine(ops["/data"], true)}; host dir ${opsLine(ops["/host"], false)}; before ${opsLine(ops["/old"], true)}; xfs ${opsLine(ops["/xfs"], true)}`,
        ],
        [
          "write-through loop premises: host disk cache / loop cache, direct I/O / image holes, unwritten MiB",
          `${premises.host_disk_write_cache} / ${premises.volume_loop_write_cache}, ${volumeDio ? "on" : "off"} / ${image.holeMiB}, ${image.unwrittenMiB}: ${premises.host_disk_write_cache === "write through" ? "host disk write-through" : "host disk has a volatile cache: a volume's fsync must flush it, as the host's does"}`,
        ],
      ],
      {
        size_mb: SIZE_MB,
        fsyncs: FSYNCS,
        rounds: ROUNDS,
        read_mode: "O_DIRECT; backing images dropped from the host page cache before reading",
        load_average: load,
        note: loaded
          ? "taken with a load average above the core count: re-run on a quiet machine"
          : "taken on a quiet machine",
        volume: {
          ...v,
          backend: "ext4 image per volume on a loop device",
          block_size: volumeFs.blockSize,
          journal: volumeFs.journal,
          direct_io: volumeDio,
          writeback_throttling: volumeWbt,
        },
        volume_before: {
          ...o,
          backend: "the same, with a journal and fast commits, writeback throttling as the kernel sets it",
          journal: true,
        },
        xfs: {
          ...x,
          backend: "one xfs filesystem on a loop file, a directory per volume",
          project_quotas: xfs.projectQuotas,
        },
        host: { ...h, filesystem: hostJournal },
        requests_per_fsync: {
          note: "a short run per side alone; the host disk's counters include whatever else wrote then",
          volume: ops["/data"],
          host: ops["/host"],
          volume_before: ops["/old"],
          xfs: ops["/xfs"],
        },
        write_through_premises: premises,
        ratios,
        xfs_ratios: xfsRatios,
        before_ratios: oldRatios,
        // the issue's figures: write, 1 MiB read, fsync (the 4 MiB read shows where the read gap comes from)
        meets_target: [ratios.write, ratios.read, ratios.fsync_p50, ratios.fsync_p99].every((r) => r >= 0.8),
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
    await unmountLoop(xfsImage, xfsMount).catch((error) => console.error(`xfs cleanup: ${error}`));
    await unmountLoop(oldImage, oldMount).catch((error) => console.error(`old ext4 cleanup: ${error}`));
    await rm(hostDir, { recursive: true, force: true });
    await temp.remove();
  }
}

/** Each figure's best round: the run least disturbed by the rest of the machine. */
function best(rounds: Figures[]): Figures {
  return {
    writeMBps: Math.max(...rounds.map((r) => r.writeMBps)),
    readMBps: Math.max(...rounds.map((r) => r.readMBps)),
    read4MBps: Math.max(...rounds.map((r) => r.read4MBps)),
    fsyncP50Us: Math.min(...rounds.map((r) => r.fsyncP50Us)),
    fsyncP99Us: Math.min(...rounds.map((r) => r.fsyncP99Us)),
    overwriteP50Us: Math.min(...rounds.map((r) => r.overwriteP50Us)),
    overwriteP99Us: Math.min(...rounds.map((r) => r.overwriteP99Us)),
    flushesPerFsync: Math.min(...rounds.map((r) => r.flushesPerFsync)),
  };
}

/**
 * The XFS side: a sparse image on a loop device with direct I/O, mounted with project quotas when
 * the kernel has them (CONFIG_XFS_QUOTA), without when not: its I/O path is the same either way.
 */
async function mountXfs(image: string, dir: string, sizeMb: number) {
  const hint = "The volumes bench compares with XFS: install xfsprogs (npm run setup).";
  await runChild("truncate", ["-s", `${sizeMb}M`, image], { hint });
  await runChild("mkfs.xfs", ["-q", "-f", image], { hint });
  const loop = (await runChild("losetup", ["--find", "--show", "--direct-io=on", image], { hint })).trim();
  await mkdir(dir, { recursive: true });
  const withQuotas = await tryChild("mount", ["-t", "xfs", "-o", "noatime,prjquota", loop, dir]);
  if (withQuotas.exitCode !== 0) await runChild("mount", ["-t", "xfs", "-o", "noatime", loop, dir], { hint });
  return { loop, projectQuotas: withQuotas.exitCode === 0 };
}

/** The store's ext4 volume as it was made before: with a journal and fast commits. */
async function mountJournaledExt4(image: string, dir: string, sizeMb: number): Promise<string> {
  const hint = "Check that e2fsprogs is installed (npm run setup).";
  await runChild("truncate", ["-s", `${sizeMb}M`, image], { hint });
  await runChild(
    "mkfs.ext4",
    ["-q", "-F", "-m", "0", "-b", "4096", "-O", "fast_commit", "-E", "nodiscard", image],
    { hint },
  );
  const loop = (await runChild("losetup", ["--find", "--show", "--direct-io=on", image], { hint })).trim();
  await mkdir(dir, { recursive: true });
  await runChild("mount", ["-t", "ext4", "-o", "noatime", loop, dir], { hint });
  return loop;
}

/** The block size of the ext4 filesystem in `image` and whether it has a journal. */
async function ext4Of(image: string): Promise<{ blockSize: number; journal: boolean }> {
  const header = await runChild("dumpe2fs", ["-h", image], { hint: "install e2fsprogs" });
  return {
    blockSize: Number(/^Block size:\s+(\d+)/m.exec(header)?.[1] ?? 0),
    journal: /^Filesystem features:.*\bhas_journal\b/m.test(header),
  };
}

/** Unmounts a loop-mounted filesystem and detaches its loop devices. */
async function unmountLoop(image: string, dir: string): Promise<void> {
  await tryChild("umount", [dir]);
  for (const loop of await loopDevicesFor(image)) await tryChild("losetup", ["-d", loop]);
}

/** Flush requests a block device completed so far (the 16th field of its stat, Linux 5.5+). */
async function flushesOf(device: string | undefined): Promise<number> {
  if (!device) return 0;
  const fields = (await readFile(`/sys/block/${basename(device)}/stat`, "utf8")).trim().split(/\s+/);
  return Number(fields[15] ?? 0);
}

/** Writes and flushes a block device completed so far (5th and 16th fields of its stat). */
async function requestsOf(device: string | undefined): Promise<{ writes: number; flushes: number }> {
  if (!device) return { writes: 0, flushes: 0 };
  const fields = (await readFile(`/sys/class/block/${basename(device)}/stat`, "utf8")).trim().split(/\s+/);
  return { writes: Number(fields[4] ?? 0), flushes: Number(fields[15] ?? 0) };
}

/** The block device (partition or disk) holding the filesystem of `dir`, e.g. "vda". */
async function diskUnder(dir: string): Promise<string | undefined> {
  const found = await tryChild("findmnt", ["-n", "-o", "SOURCE", "--target", dir]);
  const source = found.stdout.trim();
  return source.startsWith("/dev/") ? basename(source) : undefined;
}

/** "write back" (a volatile cache an fsync must flush) or "write through" (none), of a disk or partition. */
async function writeCacheOf(device: string | undefined): Promise<string> {
  if (!device) return "?";
  const name = basename(device);
  const own = `/sys/class/block/${name}/queue/write_cache`;
  const parent = `/sys/class/block/${name}/../queue/write_cache`;
  const mode = await readFile(own, "utf8").catch(() => readFile(parent, "utf8").catch(() => "?"));
  return mode.trim();
}

/**
 * How much of an image file is not plainly written on the host (FIEMAP through filefrag): holes,
 * and extents allocated but unwritten. A direct-I/O write into either changes the image's
 * metadata, which only the image's fsync (a flush of the loop device) makes durable.
 */
async function allocationOf(image: string): Promise<{ holeMiB: number; unwrittenMiB: number }> {
  const out = await runChild("filefrag", ["-v", image], { hint: "install e2fsprogs" });
  const blockSize = Number(/blocks? of (\d+) bytes/.exec(out)?.[1] ?? 4096);
  const fileBlocks = Number(/is \d+ \((\d+) blocks?/.exec(out)?.[1] ?? 0);
  let mapped = 0;
  let unwritten = 0;
  for (const match of out.matchAll(/^\s*\d+:\s+\d+\.\.\s*\d+:\s+\d+\.\.\s*\d+:\s+(\d+):.*$/gm)) {
    const length = Number(match[1]);
    mapped += length;
    if (/unwritten/.test(match[0])) unwritten += length;
  }
  const mib = (blocks: number) => round((blocks * blockSize) / 2 ** 20);
  return { holeMiB: mib(Math.max(0, fileBlocks - mapped)), unwrittenMiB: mib(unwritten) };
}

async function directIo(device: string): Promise<boolean> {
  return (await readFile(`/sys/block/${basename(device)}/loop/dio`, "utf8").catch(() => "0")).trim() === "1";
}

/** Whether the block layer's writeback throttling is on for `device` (a latency target above 0). */
async function writebackThrottling(device: string): Promise<boolean> {
  const target = await readFile(`/sys/block/${basename(device)}/queue/wbt_lat_usec`, "utf8").catch(() => "0");
  return Number(target.trim()) > 0;
}

/** "ext4 with a journal", "ext4 without a journal" or the filesystem type under `dir`. */
async function journalOf(dir: string): Promise<string> {
  const found = await tryChild("findmnt", ["-n", "-o", "SOURCE,FSTYPE", "--target", dir]);
  const [source = "", type = "?"] = found.stdout.trim().split(/\s+/);
  if (type !== "ext4") return type;
  const task = await readFile(`/sys/fs/ext4/${basename(source)}/journal_task`, "utf8").catch(() => "");
  return task.trim() === "<none>" ? "ext4 without a journal" : "ext4 with a journal";
}

function text(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.once("error", reject);
    stream.once("end", () => resolve(Buffer.concat(chunks).toString()));
  });
}
