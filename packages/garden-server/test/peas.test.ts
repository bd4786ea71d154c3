import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { busyboxImage } from "./oci-image";
import { request, run } from "./wire-client";

const MiB = 1024 * 1024;

/** Peas (processes with an image of their own) driven through a stock-shaped client. */
describe.runIf(runtimeAvailable)("garden wire server: peas", () => {
  let stack: ServerStack;
  let peaImage: string;

  async function output(script: string, extra: Record<string, unknown> = {}): Promise<string> {
    const session = await run(stack.address, "pod", { path: "sh", args: ["-c", script], ...extra });
    const [stdout, stderr, exit] = await Promise.all([session.stdout, session.stderr, session.exit]);
    expect(exit.exit_status, `${stdout}${stderr}`).toBe(0);
    return stdout.toString();
  }
  const inPea = (script: string, extra: Record<string, unknown> = {}) =>
    output(script, { image: { uri: peaImage }, ...extra });

  beforeAll(async () => {
    stack = await startServerStack({ networking: true });
    peaImage = await peaImageLayout(join(stack.dir, "pea-image"));
    const created = await request(stack.address, "POST", "/containers", {
      json: { handle: "pod", image: {}, limits: { memory_limits: { limit_in_bytes: 256 * MiB } } },
    });
    expect(created.status, created.text).toBe(200);
    await output("echo 'nameserver 10.9.9.9' > /etc/resolv.conf; echo container > /who");
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  it("runs in its own image as that image's user, in / unless told otherwise", async () => {
    expect(await inPea("id -un; id -u; pwd; echo $HOME; cat /who")).toBe(
      "peauser\n4242\n/\n/home/peauser\npea\n",
    );
    expect(await inPea("pwd", { dir: "/home/peauser" })).toBe("/home/peauser\n");
    expect(await inPea("id -u", { user: "root" })).toBe("0\n");
  });

  it("shares the container's network, /etc/hosts and /etc/resolv.conf", async () => {
    const shared = "cat /etc/hosts /etc/resolv.conf; cat /proc/net/route";
    const container = await output(shared);
    expect(container).toContain("nameserver 10.9.9.9");
    expect(container).toMatch(/eth0/);
    expect(await inPea(shared)).toBe(container);
    const server = await run(stack.address, "pod", {
      path: "sh",
      args: ["-c", "while true; do echo from-container | nc -l -p 7272; done"],
    });
    try {
      await eventually(
        async () => (await inPea("nc -w 2 127.0.0.1 7272 </dev/null || true")).includes("from-container"),
        10_000,
        "the pea reaches the container's server on loopback",
      );
    } finally {
      server.signal(1);
      await server.exit.catch(() => {});
    }
  });

  it("has memory and cpu limits of its own, and its usage shows in the container's metrics", async () => {
    const limits = { memory_limits: { limit_in_bytes: 48 * MiB }, cpu_limits: { weight: 77 } };
    expect(
      await inPea("cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.shares", {
        limits,
      }),
    ).toBe(`${48 * MiB}\n77\n`);
    expect(await output("cat /sys/fs/cgroup/memory/memory.limit_in_bytes")).toBe(`${256 * MiB}\n`);

    // beyond its own limit the pea fails, the container carries on
    const greedy = await run(stack.address, "pod", {
      path: "sh",
      args: ["-c", "dd if=/dev/zero of=/dev/shm/fill bs=1M count=96"],
      image: { uri: peaImage },
      limits,
    });
    expect((await greedy.exit).exit_status).not.toBe(0);
    expect(await output("echo alive")).toBe("alive\n");

    const cache = async () =>
      (await request(stack.address, "GET", "/containers/pod/metrics")).json<{
        MemoryStat: { total_cache: number };
      }>().MemoryStat.total_cache;
    const before = await cache();
    const holder = await run(stack.address, "pod", {
      path: "sh",
      args: ["-c", "dd if=/dev/zero of=/dev/shm/held bs=1M count=32 2>/dev/null && echo held && sleep 600"],
      image: { uri: peaImage },
      limits,
    });
    try {
      await eventually(
        async () => (await cache()) - before >= 30 * MiB,
        10_000,
        "the pea's 32 MiB in metrics",
      );
    } finally {
      holder.signal(1);
      await holder.exit.catch(() => {});
    }
  }, 60_000);
});

/** A busybox image with a `peauser` that the image config names as its user. */
function peaImageLayout(dir: string): Promise<string> {
  return busyboxImage(dir, {
    user: "peauser",
    fill: async (rootfs) => {
      await mkdir(join(rootfs, "home/peauser"), { recursive: true });
      await writeFile(
        join(rootfs, "etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\npeauser:x:4242:4242::/home/peauser:/bin/sh\n",
      );
      await writeFile(join(rootfs, "who"), "pea\n");
    },
  });
}
