import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { InvalidSpec } from "../errors";

const maxLinks = 40;

/**
 * The host path of `containerPath` inside `root`, resolving symlinks the way the container would
 * see them (absolute targets restart at `root`, `..` never climbs above it), so a link planted
 * in the container can never lead a host-side write or read outside its rootfs. Components that
 * do not exist yet are appended as they are.
 */
export async function resolveInRoot(root: string, containerPath: string): Promise<string> {
  let pending = containerPath.split("/").filter((part) => part !== "" && part !== ".");
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, part);
    const info = await lstat(candidate).catch(() => undefined);
    if (!info?.isSymbolicLink()) {
      resolved.push(part);
      continue;
    }
    links += 1;
    if (links > maxLinks) throw new InvalidSpec(`too many levels of symbolic links in ${containerPath}`);
    const target = await readlink(candidate);
    const targetParts = target.split("/").filter((segment) => segment !== "" && segment !== ".");
    if (target.startsWith("/")) resolved.length = 0;
    pending = [...targetParts, ...pending];
  }
  return join(root, ...resolved);
}
