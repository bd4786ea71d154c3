/**
 * Where single-node mode keeps what other users must reach: Postgres runs as the `postgres` user,
 * and user-namespaced containers (root mapped to host uid 100000) must traverse to their rootfs,
 * runtime and depot. That is $GROVE_HOME itself when every directory above it lets others through;
 * otherwise (a clone under /root, or under a `mktemp -d` directory, both 0700) a root-owned
 * directory under /var/lib/grove named for the home, linked from $GROVE_HOME/state. The choice is
 * kept: once the link exists, it is used; a directory there without a link is what a removed home
 * left behind, and is cleared so a new home starts afresh.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, readlink, realpath, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { DirectoryNotReachable, firstBlocker } from "@grove/services";

/** Parent of the state directories of homes that others cannot reach. */
export const sharedStateRoot = "/var/lib/grove";

/** The directory for Postgres, NATS and the agent of the single node whose home is `home`. */
export async function singleNodeStateDir(home: string): Promise<string> {
  await mkdir(home, { recursive: true });
  const link = join(home, "state");
  const linked = await readlink(link).catch(() => undefined);
  if (linked) return linked;
  if (!(await firstBlocker(home, "others"))) {
    await chmod(home, 0o755); // ours: let postgres and the containers through
    return home;
  }
  const id = createHash("sha256")
    .update(await realpath(home))
    .digest("hex")
    .slice(0, 12);
  const dir = join(sharedStateRoot, `single-node-${id}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await chmod(sharedStateRoot, 0o755);
  await chmod(dir, 0o755);
  const blocker = await firstBlocker(dir, "others");
  if (blocker) throw new DirectoryNotReachable("postgres", dir, blocker);
  await symlink(dir, link);
  return dir;
}

/** Removes the state kept outside `home` for it (what `rm -rf $GROVE_HOME` leaves behind). */
export async function removeLinkedState(home: string): Promise<void> {
  const linked = await readlink(join(home, "state")).catch(() => undefined);
  if (linked?.startsWith(`${sharedStateRoot}/`)) await rm(linked, { recursive: true, force: true });
}
