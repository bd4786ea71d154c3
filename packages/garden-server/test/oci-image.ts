import { copyFile, mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";

const applets = ["sh", "id", "pwd", "cat", "nc", "dd", "sleep", "echo", "true", "stat", "touch", "ls"];

/**
 * An OCI layout of busybox built with umoci, as an image from a registry would arrive: `fill`
 * adds to the rootfs (as root, so it may chown), `user` becomes the image config's User.
 * Returns the `oci://…#v1` URI.
 */
export async function busyboxImage(
  dir: string,
  options: { fill?: (rootfs: string) => Promise<void>; user?: string } = {},
): Promise<string> {
  const layout = join(dir, "layout");
  const bundle = join(dir, "bundle");
  await execa("umoci", ["init", "--layout", layout]);
  await execa("umoci", ["new", "--image", `${layout}:v1`]);
  await execa("umoci", ["unpack", "--image", `${layout}:v1`, bundle]);
  const rootfs = join(bundle, "rootfs");
  for (const sub of ["bin", "etc", "tmp", "proc", "dev", "sys"])
    await mkdir(join(rootfs, sub), { recursive: true });
  await copyFile("/bin/busybox", join(rootfs, "bin/busybox"));
  for (const applet of applets) await symlink("busybox", join(rootfs, "bin", applet));
  await options.fill?.(rootfs);
  // umoci writes layers with uid/gid of the files as they are on disk
  await execa("umoci", ["repack", "--image", `${layout}:v1`, bundle]);
  if (options.user)
    await execa("umoci", ["config", "--image", `${layout}:v1`, "--config.user", options.user]);
  return `oci://${layout}#v1`;
}
