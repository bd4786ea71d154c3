import { lstat, readFile, readlink, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBusyboxStack, VCAP_ID } from "../src/index";
import { requireRoot, tempStore } from "./helpers";

const isRoot = requireRoot();

/** Where the applet's link on the usual PATH points, or "missing". */
async function appletTarget(rootfs: string, applet: string): Promise<string> {
  for (const dir of ["bin", "sbin", "usr/bin", "usr/sbin"]) {
    const link = join(rootfs, dir, applet);
    const st = await lstat(link).catch(() => null);
    if (st?.isSymbolicLink()) return readlink(link);
  }
  return "missing";
}

describe.runIf(isRoot)("default busybox stack", () => {
  let store: Awaited<ReturnType<typeof tempStore>>;
  beforeAll(async () => {
    store = await tempStore("stack");
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it("contains busybox, the applets apps rely on, and an unprivileged vcap user", async () => {
    const { rootfs } = await ensureBusyboxStack(store.dir);
    expect((await stat(join(rootfs, "bin/busybox"))).mode & 0o111).not.toBe(0);
    const applets = ["sh", "ls", "cat", "echo", "sleep", "kill", "ps", "id", "env", "dd", "grep", "true"];
    for (const applet of [...applets, "httpd", "nc", "wget", "whoami", "top", "sed", "head", "tail"]) {
      expect(await appletTarget(rootfs, applet), applet).toBe("/bin/busybox");
    }
    expect((await stat(join(rootfs, "usr/sbin/adduser"))).mode & 0o111).not.toBe(0);
    const passwd = await readFile(join(rootfs, "etc/passwd"), "utf8");
    expect(passwd).toContain("root:x:0:0:");
    expect(passwd).toContain(`vcap:x:${VCAP_ID}:${VCAP_ID}:vcap:/home/vcap:/bin/sh`);
    expect(await readFile(join(rootfs, "etc/group"), "utf8")).toContain(`vcap:x:${VCAP_ID}:`);
    expect(await readFile(join(rootfs, "etc/resolv.conf"), "utf8")).toBe("");
    expect(await readFile(join(rootfs, "etc/hosts"), "utf8")).toContain("localhost");
    expect((await stat(join(rootfs, "tmp"))).mode & 0o7777).toBe(0o1777);
    const home = await stat(join(rootfs, "home/vcap"));
    expect([home.uid, home.gid]).toEqual([VCAP_ID, VCAP_ID]);
    for (const dir of ["dev", "proc", "sys"])
      expect((await stat(join(rootfs, dir))).isDirectory()).toBe(true);
  });

  it("is built once and reused while busybox and the recipe are unchanged", async () => {
    const first = await ensureBusyboxStack(store.dir);
    const again = await ensureBusyboxStack(store.dir);
    expect(again).toEqual(first);
    expect((await stat(first.rootfs)).ino).toBe((await stat(again.rootfs)).ino);
  });

  it("gets a new version when the busybox binary changes", async () => {
    const { execa } = await import("execa");
    const other = join(store.dir, "busybox-copy");
    await execa("cp", ["/bin/busybox", other]);
    await execa("sh", ["-c", `printf x >> ${other}`]);
    const original = await ensureBusyboxStack(store.dir);
    const changed = await ensureBusyboxStack(store.dir, other);
    expect(changed.version).not.toBe(original.version);
    expect(changed.rootfs).not.toBe(original.rootfs);
  });
});
