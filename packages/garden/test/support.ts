import { randomBytes } from "node:crypto";
import { accessSync, constants } from "node:fs";
import { access, chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { createImages } from "@grove/images";
import { execa } from "execa";
import pino from "pino";
import { removeCgroupTree } from "../src/cgroups/host";
import { createGarden, type Garden, type GardenConfig } from "../src/index";

/** Short and unique per test process: goes into cgroup names. */
const runId = `t${randomBytes(3).toString("hex")}`;

/**
 * Whether the runtime tests can run here (root, runc, a C compiler). Outside CI a missing piece
 * skips them; under CI=true it fails, because CI must exercise the real runtime.
 */
export const runtimeAvailable = (() => {
  const onPath = (binary: string) =>
    (process.env.PATH ?? "").split(delimiter).some((dir) => {
      try {
        accessSync(join(dir, binary), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const missing = [
    process.getuid?.() === 0 ? undefined : "root",
    onPath("runc") ? undefined : "runc",
    onPath("cc") ? undefined : "cc",
  ].filter(Boolean);
  if (missing.length === 0) return true;
  if (process.env.CI === "true")
    throw new Error(`CI=true and the runtime tests cannot run: missing ${missing.join(", ")}`);
  return false;
})();

let counter = 0;

export interface GardenFixture {
  garden: Garden;
  config: GardenConfig;
  images: ReturnType<typeof createImages>;
  dir: string;
  /** The one host directory bind-mount sources may lie in (`config.bindMountSourceRoots`). */
  bindsDir: string;
  /** Destroys every container, sweeps the runtime root and cgroups, removes all files. */
  cleanup(): Promise<void>;
  /** A second garden on the same depot, as after a restart of the runtime. */
  reopen(): Promise<Garden>;
}

/** A garden with its own depot, runtime root, cgroup parent and image store. */
export async function gardenFixture(overrides: Partial<GardenConfig> = {}): Promise<GardenFixture> {
  counter += 1;
  // Short, so unix socket paths inside stay valid.
  const path = await mkdtemp(join(tmpdir(), "gg-"));
  const temp = { path, remove: () => rm(path, { recursive: true, force: true }) };
  // The user-namespaced container root must be able to reach the rootfs and bundle files.
  await chmod(temp.path, 0o755);
  // Host bind mounts may come from here only (tests of the refusal use anything outside it).
  await mkdir(join(temp.path, "binds"), { mode: 0o755 });
  const config: GardenConfig = {
    depotDir: join(temp.path, "depot"),
    runtimeRoot: join(temp.path, "runc"),
    cgroupParent: `grove-test-${runId}-${counter}`,
    binDir: join(sharedBinDir()),
    bindMountSourceRoots: [join(temp.path, "binds")],
    logger: pino({ level: process.env.GROVE_LOG_LEVEL ?? "silent" }),
    ...overrides,
  };
  const images = createImages({ storeDir: join(temp.path, "images") });
  const gardens: Garden[] = [];
  const open = async () => {
    const garden = await createGarden(config, { volumizer: images });
    gardens.push(garden);
    return garden;
  };
  const garden = await open();
  return {
    garden,
    config,
    images,
    dir: temp.path,
    bindsDir: join(temp.path, "binds"),
    reopen: open,
    async cleanup() {
      for (const opened of gardens) await opened.close().catch(() => {});
      for (const container of await garden.containers({}, { includeIncomplete: true }).catch(() => [])) {
        await garden.destroy(container.handle).catch(() => {});
      }
      const listed = await execa("runc", ["--root", config.runtimeRoot, "list", "-q"], { reject: false });
      for (const id of listed.stdout.split("\n").filter(Boolean)) {
        await execa("runc", ["--root", config.runtimeRoot, "delete", "--force", id], { reject: false });
      }
      for (const handle of await images.handles().catch(() => []))
        await images.destroy(handle).catch(() => {});
      await removeCgroupTree(`/${config.cgroupParent}`);
      await temp.remove().catch(async () => {
        await sleep(200);
        await rm(temp.path, { recursive: true, force: true });
      });
    },
  };
}

/** The monitor binary is compiled once per test process. */
function sharedBinDir(): string {
  return join("/tmp", `grove-monitor-bin-${process.getuid?.() ?? 0}`);
}

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}

export { eventually } from "@grove/testkit/services";

/** Runs a command in the container and returns its output and exit code. */
export async function sh(
  container: Awaited<ReturnType<Garden["create"]>>,
  script: string,
  opts: { user?: string; stdin?: string; dir?: string } = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const process = await container.run({
    path: "sh",
    args: ["-c", script],
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.dir ? { dir: opts.dir } : {}),
  });
  const stdin = process.stdin();
  stdin.end(opts.stdin ?? "");
  const [stdout, stderr, exitCode] = await Promise.all([
    readAll(process.stdout()),
    readAll(process.stderr()),
    process.wait(),
  ]);
  return { stdout, stderr, exitCode };
}

export { waitForOutput } from "@grove/testkit/services";

/** The first chunk a stream yields ("" if it ends at once); the stream is closed afterwards. */
export async function firstChunk(stream: Readable): Promise<string> {
  for await (const chunk of stream) {
    stream.destroy();
    return String(chunk);
  }
  return "";
}

/** A rootfs directory of its own for peas (busybox and a passwd), different from the container's image. */
export async function minimalRootfs(dir: string): Promise<string> {
  for (const sub of ["bin", "etc", "tmp", "proc", "dev", "sys"])
    await mkdir(join(dir, sub), { recursive: true });
  await copyFile("/bin/busybox", join(dir, "bin/busybox"));
  for (const applet of [
    "sh",
    "wget",
    "ps",
    "grep",
    "hostname",
    "ls",
    "sleep",
    "stty",
    "cat",
    "head",
    "tr",
    "wc",
  ]) {
    await symlink("busybox", join(dir, "bin", applet));
  }
  await writeFile(join(dir, "etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
  return dir;
}

export const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
