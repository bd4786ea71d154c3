import { realpath } from "node:fs/promises";
import { isAbsolute, normalize, sep } from "node:path";
import { BindMountRefused } from "../errors";
import type { BindMount } from "../types";
import { resolveInRoot } from "./resolve-in-root";

/**
 * Checks a spec's bind mounts and turns each into the host path the runtime mounts. A "host"
 * source must resolve (symlinks followed) inside one of `allowedRoots`; a "container" source is
 * resolved inside the container's own rootfs, so a link planted there cannot reach the host.
 * Both paths must be absolute and free of `..`. Anything else is refused with BindMountRefused.
 */
export async function resolveBindMounts(
  mounts: BindMount[] | undefined,
  allowedRoots: string[],
  rootfsPath: string,
): Promise<BindMount[]> {
  const resolved: BindMount[] = [];
  for (const mount of mounts ?? []) {
    checkPath(mount, "dstPath", mount.dstPath);
    checkPath(mount, "srcPath", mount.srcPath);
    if (mount.mode !== "ro" && mount.mode !== "rw") {
      throw new BindMountRefused(
        mount.srcPath,
        `mode must be "ro" or "rw", got ${JSON.stringify(mount.mode)}`,
      );
    }
    if (mount.origin === "container") {
      resolved.push({ ...mount, origin: "host", srcPath: await resolveInRoot(rootfsPath, mount.srcPath) });
      continue;
    }
    if (mount.origin !== "host") {
      throw new BindMountRefused(mount.srcPath, `origin must be "host" or "container"`);
    }
    const real = await realpath(mount.srcPath).catch(() => {
      throw new BindMountRefused(mount.srcPath, "the source does not exist");
    });
    if (!(await insideAny(real, allowedRoots))) {
      throw new BindMountRefused(
        mount.srcPath,
        allowedRoots.length === 0
          ? "this runtime allows no host bind mounts"
          : `the source is outside the allowed roots (${allowedRoots.join(", ")})`,
      );
    }
    resolved.push({ ...mount, srcPath: real });
  }
  return resolved;
}

function checkPath(mount: BindMount, field: "srcPath" | "dstPath", path: string): void {
  if (
    typeof path !== "string" ||
    !isAbsolute(path) ||
    path.split("/").includes("..") ||
    path.includes("\0")
  ) {
    throw new BindMountRefused(
      mount.srcPath,
      `${field} must be an absolute path without "..", got ${JSON.stringify(path)}`,
    );
  }
}

async function insideAny(real: string, roots: string[]): Promise<boolean> {
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => undefined);
    if (!realRoot) continue;
    const prefix = realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`;
    if (real === normalize(realRoot) || real.startsWith(prefix)) return true;
  }
  return false;
}
