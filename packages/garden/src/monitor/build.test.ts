import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureMonitorBinary } from "./build";

describe("ensureMonitorBinary", () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("compiles the monitor once per source version and reuses it", async () => {
    dir = await mkdtemp(join(tmpdir(), "gmb-"));
    const [first, second] = await Promise.all([ensureMonitorBinary(dir), ensureMonitorBinary(dir)]);
    expect(first).toBe(second);
    expect(first).toMatch(/grove-monitor-[0-9a-f]{12}$/);
    const built = await stat(first);
    expect(built.mode & 0o111).not.toBe(0);
    expect(await ensureMonitorBinary(dir)).toBe(first);
    expect((await stat(first)).mtimeMs).toBe(built.mtimeMs);
  }, 30_000);
});
