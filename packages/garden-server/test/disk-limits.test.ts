import { cp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureBusyboxStack } from "@grove/images";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { request, run } from "./wire-client";

const MiB = 1024 * 1024;

interface DiskStat {
  TotalBytesUsed: number;
  TotalInodesUsed: number;
  ExclusiveBytesUsed: number;
  ExclusiveInodesUsed: number;
}

/**
 * Disk limits as Guardian (grootfs) keeps them, through a stock-shaped client: scope total (0, the
 * default) counts the image's layers against byte_hard, scope exclusive (1) only what the
 * container writes; metrics report the image as initial total usage.
 */
describe.runIf(runtimeAvailable)("garden wire server: disk limits", () => {
  let stack: ServerStack;
  let imageUri: string;
  const api = (method: string, path: string, options?: Parameters<typeof request>[3]) =>
    request(stack.address, method, path, options);

  const create = (handle: string, diskLimits: Record<string, number>) =>
    api("POST", "/containers", {
      json: { handle, image: { uri: imageUri }, limits: { disk_limits: diskLimits } },
    });

  const diskStat = async (handle: string) =>
    (await api("GET", `/containers/${handle}/metrics`)).json<{ DiskStat: DiskStat }>().DiskStat;

  /** Writes `mb` MiB in the container; the shell's output says how it went. */
  async function write(handle: string, mb: number): Promise<string> {
    const session = await run(stack.address, handle, {
      path: "sh",
      args: ["-c", `dd if=/dev/zero of=/tmp/fill bs=64k count=${mb * 16} 2>&1 && sync; echo rc=$?`],
    });
    await session.exit;
    return (await session.stdout).toString();
  }

  beforeAll(async () => {
    stack = await startServerStack();
    // an image of the busybox stack and a 16 MiB file: big enough that counting it shows
    const stack0 = await ensureBusyboxStack(join(stack.dir, "stack-store"));
    const rootfs = join(stack.dir, "big-image");
    await cp(stack0.rootfs, rootfs, { recursive: true, verbatimSymlinks: true });
    await writeFile(join(rootfs, "payload"), Buffer.alloc(16 * MiB, 1));
    imageUri = rootfs;
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  it("scope total: the image counts against byte_hard; the image is the initial total usage", async () => {
    const created = await create("total", { byte_hard: 24 * MiB });
    expect(created.status, created.text).toBe(200);
    const initial = await diskStat("total");
    expect(initial.TotalBytesUsed).toBeGreaterThanOrEqual(16 * MiB);
    expect(initial.TotalInodesUsed).toBeGreaterThan(2);
    expect(initial.ExclusiveBytesUsed).toBeLessThan(MiB);
    expect((await api("GET", "/containers/total/limits/disk")).json()).toMatchObject({ byte_hard: 24 * MiB });
    // 24 MiB less the image (16 MiB and the stack) leaves under 8 MiB to write: the disk is full
    // when the total reaches the limit, not before
    expect(await write("total", 12)).toMatch(/No space left on device/);
    const full = await diskStat("total");
    expect(full.ExclusiveBytesUsed).toBeLessThan(8 * MiB);
    expect(full.TotalBytesUsed).toBe(
      initial.TotalBytesUsed - initial.ExclusiveBytesUsed + full.ExclusiveBytesUsed,
    );
    expect(full.TotalBytesUsed).toBeGreaterThan(23 * MiB);
    expect(full.TotalBytesUsed).toBeLessThanOrEqual(24 * MiB);
  });

  it("scope exclusive: only what the container writes counts", async () => {
    const created = await create("exclusive", { byte_hard: 24 * MiB, scope: 1 });
    expect(created.status, created.text).toBe(200);
    expect((await api("GET", "/containers/exclusive/limits/disk")).json()).toEqual({
      byte_hard: 24 * MiB,
      scope: 1,
    });
    expect(await write("exclusive", 12)).toMatch(/rc=0/);
    const stat = await diskStat("exclusive");
    expect(stat.ExclusiveBytesUsed).toBeGreaterThanOrEqual(12 * MiB);
    expect(stat.TotalBytesUsed).toBeGreaterThanOrEqual(28 * MiB);
    expect(await write("exclusive", 30)).toMatch(/No space left on device/);
  });

  it("without a limit, metrics still report the image as total usage", async () => {
    expect((await create("unlimited", {})).status).toBe(200);
    const stat = await diskStat("unlimited");
    expect(stat.TotalBytesUsed).toBeGreaterThanOrEqual(16 * MiB);
    expect(stat.ExclusiveBytesUsed).toBeLessThan(MiB);
  });

  it("refuses a total limit smaller than the image, leaving no container", async () => {
    const refused = await create("too-small", { byte_hard: 8 * MiB });
    expect(refused.status).toBe(500);
    expect(refused.json<{ Message: string }>().Message).toMatch(/disk limit is smaller than volume size/);
    const listed = (await api("GET", "/containers")).json<{ Handles: string[] }>();
    expect(listed.Handles).not.toContain("too-small");
    // the same limit with scope exclusive is fine: the image does not count
    expect((await create("small-exclusive", { byte_hard: 8 * MiB, scope: 1 })).status).toBe(200);
  });
});
