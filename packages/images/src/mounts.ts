import { readFile } from "node:fs/promises";
import { MountFailed } from "./errors";
import { run } from "./run";

function unescapeMountPath(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points currently visible to this process (from /proc/self/mountinfo). */
export async function mountPoints(): Promise<Set<string>> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const points = new Set<string>();
  for (const line of text.split("\n")) {
    const field = line.split(" ")[4];
    if (field) points.add(unescapeMountPath(field));
  }
  return points;
}

export async function isMountPoint(path: string): Promise<boolean> {
  return (await mountPoints()).has(path);
}

const UMOUNT_HINT = "Stop what still uses it (fuser -vm shows it), then destroy the container again.";
const LOOP_HINT = "Check that loop devices work here (modprobe loop; ls /dev/loop-control).";

/**
 * Unmounts `path` if it is mounted. A busy mount (a straggling process) is retried briefly and then
 * detached lazily, so destroy never leaves the caller stuck.
 */
export async function unmountIfMounted(path: string): Promise<void> {
  for (let attempt = 0; await isMountPoint(path); attempt++) {
    if (attempt >= 20) throw new MountFailed("umount", `${path} is still mounted`);
    const lazy = attempt >= 5;
    try {
      await run("umount", "umount", lazy ? ["-l", path] : [path], UMOUNT_HINT);
    } catch (err) {
      if (lazy) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}

/** Loop devices backed by `file` (there should be none once its filesystem is unmounted). */
export async function loopDevicesFor(file: string): Promise<string[]> {
  const out = await run("losetup", "losetup", ["-j", file], LOOP_HINT);
  return out
    .split("\n")
    .map((line) => line.split(":")[0]?.trim() ?? "")
    .filter((dev) => dev.startsWith("/dev/"));
}

export async function detachLoopDevices(file: string): Promise<void> {
  for (const dev of await loopDevicesFor(file)) {
    await run("losetup -d", "losetup", ["-d", dev], LOOP_HINT).catch(() => undefined);
  }
}
