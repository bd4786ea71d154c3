import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

/** Integration tests need root (mount, loop devices, chown); under CI a missing root fails loudly. */
export function requireRoot(): boolean {
  const isRoot = process.getuid?.() === 0;
  if (!isRoot && process.env.CI === "true") throw new Error("these tests must run as root under CI");
  return isRoot;
}

async function mountsUnder(prefix: string): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(prefix));
}

export async function loopDevicesUnder(prefix: string): Promise<string[]> {
  const { stdout } = await execa("losetup", ["-a", "-n", "-O", "NAME,BACK-FILE"]);
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, file]) => file?.startsWith(prefix))
    .map(([dev]) => dev ?? "");
}

export async function mountedUnder(prefix: string): Promise<string[]> {
  return mountsUnder(prefix);
}

/** A temp store dir and a cleanup that removes every mount and loop device under it, whatever happened. */
export async function tempStore(label: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `grove-img-${label}-`));
  return {
    dir,
    async cleanup() {
      for (const point of (await mountsUnder(dir)).reverse()) {
        await execa("umount", ["-l", point], { reject: false });
      }
      for (const dev of await loopDevicesUnder(dir)) await execa("losetup", ["-d", dev], { reject: false });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
