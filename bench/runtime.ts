/**
 * Runtime benchmark: a busybox container that prints a line and exits, through garden
 * (create → run → first output → destroy) vs raw `runc run` of an equivalent bundle (same overlay
 * rootfs over the uid-shifted busybox stack, Garden's own config.json with `echo hello` as pid 1:
 * same namespaces, mounts, capabilities and seccomp filter), in the same run (and, for reference,
 * of a minimal bundle without seccomp, capabilities or extra mounts); containers/s with 8 in
 * parallel; host memory per idle container with 100 running (monitors included). Garden runs
 * without a networker here so both sides get a loopback-only netns; a container's network (up +
 * down through the networker: netns, veth, address, route, nft rules, saved state) is reported on
 * its own lines, beside the same wiring done the way it was before grove-net (ip/nsenter/sysctl
 * execs and the CNI bridge plugin, when installed) for reference, and a garden container with a
 * network for the whole picture, and the CPU time of an up+down (this process and grove-net), which
 * a busy machine barely moves. `BENCH_NETWORK_ONLY=1` runs the network lines alone; under
 * `chrt -f 20` they show what the wall time is without other processes' share of the cores.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CgroupV1,
  containerSpec,
  createGarden,
  createNetworker,
  defaultPath,
  ensureHelperBinary,
  type Garden,
} from "@grove/garden";
import { createImages } from "@grove/images";
import { makeTempDir } from "@grove/testkit/services";
import { execa } from "execa";
import { pino } from "pino";
import { percentile, report } from "./lib";

const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const PARALLEL = 8;
const IDLE = Number(process.env.BENCH_IDLE ?? 100);
const UID_MAPPING = { hostId: 100000, size: 65536 };

export async function main(): Promise<string> {
  const temp = await makeTempDir("grove-bench-");
  await chmod(temp.path, 0o755); // user-namespaced containers must traverse to their rootfs
  const id = randomBytes(3).toString("hex");
  const log = pino({ level: "warn" });
  const images = createImages({ storeDir: join(temp.path, "images") });
  const runtimeRoot = join(temp.path, "runc");
  const cgroupParent = `grove-bench-${id}`;
  const garden = await createGarden(
    { depotDir: join(temp.path, "depot"), runtimeRoot, cgroupParent, logger: log },
    { volumizer: images },
  );
  try {
    if (process.env.BENCH_NETWORK_ONLY === "1") return await networkOnly(temp.path, log, id);
    // warm caches (stack, shifted copy, monitor binary) on both sides
    await gardenOnce(garden, "warm");
    const initBinary = await ensureHelperBinary(join(temp.path, "depot", ".bin"), "init");
    await rawOnce(images, runtimeRoot, cgroupParent, "rawwarm", initBinary);
    const gardenMs: number[] = [];
    const rawMs: number[] = [];
    const minimalMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      minimalMs.push(await rawOnce(images, runtimeRoot, cgroupParent, `min${i}`, initBinary, "minimal"));
      rawMs.push(await rawOnce(images, runtimeRoot, cgroupParent, `raw${i}`, initBinary));
      gardenMs.push(await gardenOnce(garden, `g${i}`));
    }
    const parallelPerSecond = await parallel(garden);
    const network = await networkCost(temp.path, log, id);
    const cniMs = await execWiringCost(temp.path, id);
    const memKb = await idleMemory(garden, join(temp.path, "depot"), cgroupParent);
    const p50 = percentile(gardenMs, 50);
    const rawP50 = percentile(rawMs, 50);
    const minimalP50 = percentile(minimalMs, 50);
    const memAvailableKb = meminfo("MemAvailable");
    return report(
      "runtime",
      [
        ["runs", RUNS],
        ["garden p50 ms", p50],
        ["garden p99 ms", percentile(gardenMs, 99)],
        ["raw runc run p50 ms", rawP50],
        ["raw runc run p99 ms", percentile(rawMs, 99)],
        ["ratio p50 (target <= 1.3)", p50 / rawP50],
        ["raw runc run p50 ms, minimal bundle (no seccomp, caps, extra mounts)", minimalP50],
        ["ratio p50 vs the minimal bundle (for reference)", p50 / minimalP50],
        [`containers/s, ${PARALLEL} in parallel`, parallelPerSecond],
        ["network up+down p50 ms (extra, target <= 20)", percentile(network.upDown, 50)],
        ["network up+down p99 ms", percentile(network.upDown, 99)],
        [
          "network up+down CPU ms per container (node + grove-net; barely moved by load)",
          network.cpuMsPerUpDown,
        ],
        [
          "network up+down / garden container, p50 (a busy machine slows both)",
          percentile(network.upDown, 50) / p50,
        ],
        [
          "the wiring by execs + CNI bridge plugin, no nft, p50 ms (before; reference)",
          cniMs ?? "not installed",
        ],
        ["garden p50 ms with a network", percentile(network.garden, 50)],
        [`host memory per idle container (${IDLE} running), KiB`, memKb],
        ["idle containers that fit in MemAvailable", Math.floor(memAvailableKb / memKb)],
      ],
      {
        runs: RUNS,
        p50_ms: p50,
        p99_ms: percentile(gardenMs, 99),
        raw_p50_ms: rawP50,
        raw_p99_ms: percentile(rawMs, 99),
        ratio_p50: p50 / rawP50,
        raw_minimal_p50_ms: minimalP50,
        ratio_vs_minimal_p50: p50 / minimalP50,
        parallel_per_s: parallelPerSecond,
        network_up_down_p50_ms: percentile(network.upDown, 50),
        network_up_down_p99_ms: percentile(network.upDown, 99),
        network_up_down_cpu_ms: network.cpuMsPerUpDown,
        network_vs_container_p50: percentile(network.upDown, 50) / p50,
        exec_cni_up_down_p50_ms: cniMs ?? null,
        garden_networked_p50_ms: percentile(network.garden, 50),
        mem_per_container_kb: memKb,
        idle_containers: IDLE,
      },
    );
  } finally {
    for (const c of await garden.containers({}, { includeIncomplete: true }))
      await garden.destroy(c.handle).catch(() => {});
    await garden.close();
    await new CgroupV1(`/${cgroupParent}`).remove();
    await temp.remove();
  }
}

async function gardenOnce(garden: Garden, handle: string): Promise<number> {
  const started = performance.now();
  const container = await garden.create({ handle });
  const process = await container.run({ path: "echo", args: ["hello"] });
  await firstByte(process.stdout());
  await process.wait();
  await garden.destroy(handle);
  return performance.now() - started;
}

function firstByte(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.once("data", () => resolve());
    stream.once("error", reject);
    stream.once("end", () => reject(new Error("no output")));
  });
}

/**
 * The same container straight through `runc run`: Garden's own config.json for it (rootfs,
 * namespaces, uid mapping, mounts, capabilities, seccomp, masked paths), with `echo hello` as its
 * process instead of Garden's init.
 */
async function rawOnce(
  images: ReturnType<typeof createImages>,
  runtimeRoot: string,
  cgroupParent: string,
  handle: string,
  initBinary: string,
  kind: "garden" | "minimal" = "garden",
): Promise<number> {
  const started = performance.now();
  const rootfs = await images.create({ handle, image: { uri: "" }, uidMapping: UID_MAPPING });
  const bundle = join(runtimeRoot, "..", "bundles", handle);
  await mkdir(bundle, { recursive: true });
  const hostsFile = join(bundle, "hosts");
  await writeFile(hostsFile, `127.0.0.1 localhost\n127.0.1.1 ${handle}\n`, { mode: 0o644 });
  const gardenConfig = containerSpec({
    handle,
    rootfsPath: rootfs.path,
    uidMapping: UID_MAPPING,
    cgroupsPath: `/${cgroupParent}/${handle}`,
    env: [defaultPath],
    initBinary,
    hostsFile,
    args: ["echo", "hello"],
  });
  const config = kind === "garden" ? gardenConfig : minimalConfig(rootfs.path, `${cgroupParent}/${handle}`);
  await writeFile(join(bundle, "config.json"), JSON.stringify(config));
  const run = execa("runc", ["--root", runtimeRoot, "run", "--bundle", bundle, handle]);
  await firstByte(run.stdout as NodeJS.ReadableStream);
  await run;
  await images.destroy(handle);
  const elapsed = performance.now() - started;
  await rm(bundle, { recursive: true, force: true });
  return elapsed;
}

/** The bundle the first version of this bench used: same namespaces, no seccomp, no capabilities. */
function minimalConfig(rootfs: string, cgroupsPath: string) {
  const map = [{ containerID: 0, hostID: UID_MAPPING.hostId, size: UID_MAPPING.size }];
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ["echo", "hello"],
      env: ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"],
      cwd: "/",
      noNewPrivileges: true,
    },
    root: { path: rootfs, readonly: false },
    hostname: "raw",
    mounts: [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      {
        destination: "/dev/pts",
        type: "devpts",
        source: "devpts",
        options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
      },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    ],
    linux: {
      uidMappings: map,
      gidMappings: map,
      cgroupsPath: `/${cgroupsPath}`,
      namespaces: ["pid", "network", "ipc", "uts", "mount", "user"].map((type) => ({ type })),
      maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
      readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    },
  };
}

async function parallel(garden: Garden): Promise<number> {
  const total = PARALLEL * 4;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < total) {
        next += 1;
        await gardenOnce(garden, `p${next}`);
      }
    }),
  );
  return total / ((performance.now() - started) / 1000);
}

/**
 * Network up + down through the networker alone (RUNS times), then garden containers with it
 * (create → run → first output → destroy).
 */
async function networkCost(dir: string, log: pino.Logger, id: string, gardenRuns = 20) {
  const networker = createNetworker({
    stateDir: join(dir, "net"),
    bridge: `gb${id}`,
    subnet: "10.253.0.0/24",
    name: `gbench${id}`,
    externalIP: "127.0.0.1",
    log,
  });
  const upDown: number[] = [];
  const gardenMs: number[] = [];
  const garden = await createGarden(
    {
      depotDir: join(dir, "depot-net"),
      runtimeRoot: join(dir, "runc-net"),
      cgroupParent: `grove-bench-${id}-net`,
      logger: log,
    },
    { volumizer: createImages({ storeDir: join(dir, "images") }), networker },
  );
  try {
    await networker.up("warm", {});
    await networker.down("warm");
    const cpuBefore = cpuMs();
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      await networker.up(`n${i}`, {});
      await networker.down(`n${i}`);
      upDown.push(performance.now() - started);
    }
    const cpuMsPerUpDown = (cpuMs() - cpuBefore) / RUNS;
    if (gardenRuns > 0) await gardenOnce(garden, "netwarm");
    for (let i = 0; i < Math.min(RUNS, gardenRuns); i++) gardenMs.push(await gardenOnce(garden, `gn${i}`));
    return { upDown, garden: gardenMs, cpuMsPerUpDown };
  } finally {
    for (const c of await garden.containers({}, { includeIncomplete: true }))
      await garden.destroy(c.handle).catch(() => {});
    await garden.close();
    await new CgroupV1(`/grove-bench-${id}-net`).remove();
    await networker.destroyAll();
  }
}

/** CPU time (user + system) of this process and its grove-net helpers so far, ms. */
function cpuMs(): number {
  const own = process.cpuUsage();
  let helpers = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      // after the name: state, ppid, …, utime and stime are the 12th and 13th (clock ticks of 10 ms)
      if (!stat.includes("(grove-net)") || Number(fields[1]) !== process.pid) continue;
      helpers += (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      // gone while we looked
    }
  }
  return (own.user + own.system) / 1000 + helpers;
}

/** `BENCH_NETWORK_ONLY=1`: the network lines alone (a quick look at the networker's cost). */
async function networkOnly(dir: string, log: pino.Logger, id: string): Promise<string> {
  const network = await networkCost(dir, log, id, 0);
  return report(
    "runtime-network",
    [
      ["runs", RUNS],
      ["network up+down p50 ms (target <= 20)", percentile(network.upDown, 50)],
      ["network up+down p99 ms", percentile(network.upDown, 99)],
      ["network up+down CPU ms per container (node + grove-net)", network.cpuMsPerUpDown],
    ],
    {
      runs: RUNS,
      network_up_down_p50_ms: percentile(network.upDown, 50),
      network_up_down_p99_ms: percentile(network.upDown, 99),
      network_up_down_cpu_ms: network.cpuMsPerUpDown,
    },
  );
}

/**
 * The same wiring as before grove-net, by execs: `ip netns add`, lo up and IPv6 off through
 * nsenter, the CNI `bridge` plugin's ADD (which runs host-local) and DEL, `ip netns delete`.
 * Undefined when the CNI plugins are not installed.
 */
async function execWiringCost(dir: string, id: string): Promise<number | undefined> {
  const plugins = "/usr/lib/cni";
  if (!existsSync(join(plugins, "bridge"))) return undefined;
  const config = JSON.stringify({
    cniVersion: "1.0.0",
    name: `gcni${id}`,
    type: "bridge",
    bridge: `gc${id}`,
    isGateway: true,
    isDefaultGateway: true,
    ipMasq: false,
    ipam: { type: "host-local", ranges: [[{ subnet: "10.253.1.0/24" }]], dataDir: join(dir, "ipam") },
  });
  const cni = (command: string, netns: string, name: string) =>
    execa(join(plugins, "bridge"), [], {
      input: config,
      env: {
        CNI_COMMAND: command,
        CNI_CONTAINERID: name,
        CNI_NETNS: netns,
        CNI_IFNAME: "eth0",
        CNI_PATH: plugins,
      },
    });
  const times: number[] = [];
  try {
    for (let i = 0; i < 10; i++) {
      const name = `gcni${id}-${i}`;
      const netns = `/run/netns/${name}`;
      const started = performance.now();
      await execa("ip", ["netns", "add", name]);
      await execa("nsenter", [`--net=${netns}`, "--", "ip", "link", "set", "lo", "up"]);
      await execa("nsenter", [
        `--net=${netns}`,
        "--",
        "sysctl",
        "-q",
        "-w",
        "net.ipv6.conf.all.disable_ipv6=1",
      ]);
      await cni("ADD", netns, name);
      await cni("DEL", netns, name);
      await execa("ip", ["netns", "delete", name]);
      times.push(performance.now() - started);
    }
  } finally {
    await execa("ip", ["link", "delete", `gc${id}`], { reject: false });
  }
  return percentile(times, 50);
}

/**
 * Host memory per idle container (init + `sleep` + its two monitors), accounted directly: each
 * container's cgroup `memory.usage_in_bytes` (its processes' memory and kernel memory charged to it)
 * plus the proportional set size of the monitors, which live outside the container's cgroup.
 */
async function idleMemory(garden: Garden, depotDir: string, cgroupParent: string): Promise<number> {
  for (let i = 0; i < IDLE; i++) {
    const container = await garden.create({ handle: `idle${i}` });
    await container.run({ path: "sleep", args: ["3600"] });
  }
  let bytes = 0;
  for (let i = 0; i < IDLE; i++) {
    bytes += Number(
      readFileSync(`/sys/fs/cgroup/memory/${cgroupParent}/idle${i}/memory.usage_in_bytes`, "utf8"),
    );
  }
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmdline.includes("grove-monitor") || !cmdline.includes(depotDir)) continue;
      const pss = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8").match(/^Pss:\s+(\d+) kB/m)?.[1];
      bytes += Number(pss ?? 0) * 1024;
    } catch {
      // the process ended while we looked
    }
  }
  for (let i = 0; i < IDLE; i++) await garden.destroy(`idle${i}`);
  return bytes / 1024 / IDLE;
}

function meminfo(field: string): number {
  const line = readFileSync("/proc/meminfo", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0);
}
