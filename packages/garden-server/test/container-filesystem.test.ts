import { chown, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeAvailable, type ServerStack, startServerStack } from "./harness";
import { busyboxImage } from "./oci-image";
import { request, run } from "./wire-client";

/** The container filesystem as Guardian sets it up, seen from inside through a stock-shaped client. */
describe.runIf(runtimeAvailable)("garden wire server: the container filesystem", () => {
  let stack: ServerStack;

  async function output(
    handle: string,
    script: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    const session = await run(stack.address, handle, { path: "sh", args: ["-c", script], ...extra });
    const stdout = (await session.stdout).toString();
    expect((await session.exit).exit_status, stdout).toBe(0);
    return stdout;
  }

  beforeAll(async () => {
    stack = await startServerStack();
    for (const privileged of [false, true]) {
      const handle = privileged ? "privileged" : "unprivileged";
      const res = await request(stack.address, "POST", "/containers", {
        json: {
          handle,
          image: {},
          limits: { memory_limits: { limit_in_bytes: 64 * 1024 * 1024 } },
          privileged,
        },
      });
      expect(res.status, res.text).toBe(200);
    }
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  it.each(["unprivileged", "privileged"])(
    "%s: /dev/shm is a tmpfs with Guardian's options, any user writes it, and the std stream links exist",
    async (handle) => {
      // garden-integration-tests expects "tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec,relatime"
      const mounts = await output(handle, "awk '$2 == \"/dev/shm\" { print $3, $4 }' /proc/mounts");
      expect(mounts).toMatch(/^tmpfs rw,nosuid,nodev,noexec,relatime[,\n]/);
      expect(
        await output(
          handle,
          "dd if=/dev/zero of=/dev/shm/data bs=1k count=64 2>/dev/null && wc -c < /dev/shm/data",
          { user: "nobody" },
        ),
      ).toBe("65536\n");
      const links = await output(handle, "for l in stdin stdout stderr fd; do readlink /dev/$l; done");
      expect(links).toBe("/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n/proc/self/fd\n");
    },
  );

  it.each(["unprivileged", "privileged"])(
    // Guardian (guardiancmd/command_linux.go) mounts tmpfs only at /dev and /dev/shm and bind-mounts
    // its init at /tmp/garden-init; garden-integration-tests' "/tmp IS mounted as tmpfs" checks /dev/shm
    "%s: /tmp is the rootfs's own (as in Guardian, not a tmpfs), holds the init binary and anyone may write it",
    async (handle) => {
      const tmp = await output(
        handle,
        "awk '$2 == \"/tmp\"' /proc/mounts | wc -l; stat -c %a /tmp; test -x /tmp/garden-init && echo init",
      );
      expect(tmp.split("\n").map((line) => line.trim())).toEqual(["0", "1777", "init", ""]);
      expect(await output(handle, "echo hi > /tmp/mine && cat /tmp/mine", { user: "nobody" })).toBe("hi\n");
    },
  );

  it.each(["unprivileged", "privileged"])(
    "%s: the cgroup filesystems are the container's own and read-only",
    async (handle) => {
      const mounts = await output(
        handle,
        'awk \'$2 ~ "^/sys/fs/cgroup/" && $3 == "cgroup" { split($4, o, ","); print o[1] }\' /proc/mounts | sort -u',
      );
      expect(mounts).toBe("ro\n");
      const limit = await output(handle, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes");
      expect(limit).toBe(`${64 * 1024 * 1024}\n`);
      const write = await run(stack.address, handle, {
        path: "sh",
        args: ["-c", "echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes"],
      });
      expect((await write.exit).exit_status).not.toBe(0);
    },
  );

  it("gives privileged containers the fuse device, and unprivileged ones none", async () => {
    expect(await output("privileged", "exec 3<>/dev/fuse && stat -c '%t:%T %a' /dev/fuse")).toBe(
      "a:e5 666\n",
    );
    expect(await output("unprivileged", "test -e /dev/fuse || echo absent")).toBe("absent\n");
  });

  it("runs a process as uid 1000000000 (OpenShift-style images) while the rootfs keeps its owners", async () => {
    const high = await output(
      "unprivileged",
      "id -u; id -g; touch /tmp/high && stat -c '%u:%g' /tmp/high; cat /proc/self/uid_map",
      { user: "1000000000" },
    );
    const [uid, gid, owner, map] = high.split("\n");
    expect([uid, gid, owner]).toEqual(["1000000000", "1000000000", "1000000000:1000000000"]);
    expect(map?.trim().split(/\s+/)).toEqual(["0", "100000", "4294867295"]);
    // files of root and of the image's users keep their owners inside
    expect(await output("unprivileged", "stat -c '%u:%g' / /bin /etc/passwd /tmp/high")).toBe(
      "0:0\n0:0\n0:0\n1000000000:1000000000\n",
    );
    expect(await output("unprivileged", "echo root-writes > /root-file && cat /root-file")).toBe(
      "root-writes\n",
    );
  });

  it("runs an image whose files and user are uid 1000000000 as that user, owning its files", async () => {
    const uri = await busyboxImage(join(stack.dir, "high-uid-image"), {
      user: "1000000000",
      fill: async (rootfs) => {
        await mkdir(join(rootfs, "data"));
        await writeFile(join(rootfs, "data/state"), "from the image\n");
        for (const path of ["data", "data/state"])
          await chown(join(rootfs, path), 1_000_000_000, 1_000_000_000);
      },
    });
    const created = await request(stack.address, "POST", "/containers", {
      json: { handle: "openshift", image: { uri }, limits: {} },
    });
    expect(created.status, created.text).toBe(200);
    expect(
      await output(
        "openshift",
        "stat -c '%u:%g' /data /data/state; echo more >> /data/state && cat /data/state",
        {
          user: "1000000000",
        },
      ),
    ).toBe("1000000000:1000000000\n1000000000:1000000000\nfrom the image\nmore\n");
  });

  it("masks files and directories of /proc and /sys in an unprivileged container", async () => {
    const masked = await output(
      "unprivileged",
      "wc -c < /proc/keys; wc -c < /proc/timer_list; ls -A /sys/firmware | wc -l; ls -A /proc/acpi | wc -l",
    );
    expect(masked.split("\n").map((line) => line.trim())).toEqual(["0", "0", "0", "0", ""]);
  });

  it("gives a TTY without a window size Guardian's default 80x24", async () => {
    expect(await output("unprivileged", "stty size", { tty: {} })).toContain("24 80");
  });
});
