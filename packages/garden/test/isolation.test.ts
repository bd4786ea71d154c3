import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Container, createGarden, InvalidSpec } from "../src/index";
import { eventually, type GardenFixture, gardenFixture, runtimeAvailable, sh } from "./support";

describe.runIf(runtimeAvailable)("isolation and limits", () => {
  let fixture: GardenFixture;
  let container: Container;
  beforeAll(async () => {
    fixture = await gardenFixture();
    container = await fixture.garden.create({ handle: "jail" });
  });
  afterAll(async () => {
    await fixture?.cleanup();
  });

  it("maps container root to an unprivileged host uid", async () => {
    const result = await sh(container, "cat /proc/self/uid_map /proc/self/gid_map");
    expect(result.stdout.split(/\s+/).filter(Boolean)).toEqual([
      "0",
      "100000",
      "4294867295",
      "0",
      "100000",
      "4294867295",
    ]);
  });

  it("grants Guardian's capabilities less CAP_NET_RAW (13) and nothing more", async () => {
    const result = await sh(container, "grep CapEff /proc/self/status");
    const mask = BigInt(`0x${result.stdout.split(/\s+/)[1]}`);
    const expected = [0, 1, 3, 4, 5, 6, 7, 8, 10, 18, 27, 29, 31].reduce(
      (bits, cap) => bits | (1n << BigInt(cap)),
      0n,
    );
    expect(mask).toBe(expected);
  });

  it("leaves a non-root user's process no effective capabilities, and root's bounding set is the same 13", async () => {
    const result = await sh(container, "grep -E 'CapEff|CapBnd' /proc/self/status", { user: "nobody" });
    const [effective, bounding] = ["CapEff", "CapBnd"].map((name) =>
      BigInt(`0x${new RegExp(`${name}:\\s*([0-9a-f]+)`).exec(result.stdout)?.[1]}`),
    );
    expect(effective).toBe(0n);
    const root = await sh(container, "grep CapBnd /proc/self/status");
    expect(bounding).toBe(BigInt(`0x${root.stdout.split(/\s+/)[1]}`));
  });

  it("blocks namespace and mount syscalls with seccomp while ordinary programs run", async () => {
    const unshare = await sh(container, "unshare -U true");
    expect(unshare.exitCode).not.toBe(0);
    expect(unshare.stderr).toMatch(/Operation not permitted/);
    const mount = await sh(container, "mkdir -p /mnt/t && mount -t tmpfs none /mnt/t");
    expect(mount.exitCode).not.toBe(0);
    expect((await sh(container, "echo fine | sed s/fine/ok/ && ls / >/dev/null")).stdout).toBe("ok\n");
  });

  it("masks sensitive /proc paths and mounts /sys read-only", async () => {
    expect((await sh(container, "wc -c < /proc/timer_list")).stdout.trim()).toBe("0");
    expect((await sh(container, "grep ' /proc/keys ' /proc/mounts")).stdout).not.toBe("");
    const sys = await sh(container, "touch /sys/kernel/grove-test");
    expect(sys.exitCode).not.toBe(0);
    expect(sys.stderr).toMatch(/Read-only file system/);
    expect((await sh(container, "grep ' /sys ' /proc/mounts")).stdout).toMatch(/\bro\b/);
  });

  it("runs a tiny init as pid 1", async () => {
    expect((await sh(container, "cat /proc/1/cmdline | tr '\\0' ' '")).stdout.trim()).toBe(
      "/tmp/garden-init",
    );
  });

  it("gives a privileged container host root and all capabilities", async () => {
    const privileged = await fixture.garden.create({ handle: "root-ok", privileged: true });
    const result = await sh(privileged, "cat /proc/self/uid_map; grep CapEff /proc/self/status");
    expect(result.stdout).toMatch(/^\s*0\s+0\s+4294967295/);
    // Without the seccomp profile of unprivileged containers, unshare works.
    expect((await sh(privileged, "unshare -U true")).exitCode).toBe(0);
    await fixture.garden.destroy("root-ok");
  });

  it("refuses privileged containers when the garden disallows them", async () => {
    const strict = await createGarden(
      { ...fixture.config, allowPrivileged: false },
      { volumizer: fixture.images },
    );
    try {
      await expect(strict.create({ handle: "not-root", privileged: true })).rejects.toBeInstanceOf(
        InvalidSpec,
      );
      expect(await fixture.images.inspect("not-root")).toBeUndefined();
    } finally {
      await strict.close();
    }
  });

  it("keeps a fork bomb inside the pids limit", async () => {
    const limited = await fixture.garden.create({ handle: "forky", limits: { pid: { max: 20 } } });
    const bomb = await limited.run({
      path: "sh",
      args: ["-c", "for i in $(seq 1 60); do sleep 30 & done; wait"],
    });
    await eventually(async () => (await limited.metrics()).pidStat.current >= 18, 10_000, "pids to fill up");
    const metrics = await limited.metrics();
    expect(metrics.pidStat.current).toBeLessThanOrEqual(20);
    expect(metrics.pidStat.max).toBe(20);
    await bomb.signal("kill");
    await fixture.garden.destroy("forky");
  });

  it("reports an oom event when a process exceeds the memory limit", async () => {
    const small = await fixture.garden.create({
      handle: "oomy",
      limits: { memory: { limitInBytes: 32 << 20 } },
    });
    const hog = await small.run({
      path: "sh",
      args: ["-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo $x | wc -c"],
    });
    expect(await hog.wait()).not.toBe(0);
    await eventually(async () => (await small.info()).events.includes("oom"), 10_000, "oom event");
    await fixture.garden.destroy("oomy");
  });
});
