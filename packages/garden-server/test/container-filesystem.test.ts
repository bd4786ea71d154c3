import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeAvailable, type ServerStack, startServerStack } from "./harness";
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
        json: { handle, image: {}, limits: {}, privileged },
      });
      expect(res.status, res.text).toBe(200);
    }
  }, 120_000);
  afterAll(async () => {
    await stack?.cleanup();
  }, 120_000);

  it.each(["unprivileged", "privileged"])(
    "%s: /dev/shm is a tmpfs and the std stream links exist",
    async (handle) => {
      const mounts = await output(handle, "awk '$2 == \"/dev/shm\" { print $3 }' /proc/mounts");
      expect(mounts).toBe("tmpfs\n");
      const links = await output(handle, "for l in stdin stdout stderr fd; do readlink /dev/$l; done");
      expect(links).toBe("/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\n/proc/self/fd\n");
    },
  );

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
