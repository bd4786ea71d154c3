import { lchown, lstat, mkdir } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import type { Readable } from "node:stream";
import { extractTar, packTar } from "@grove/images";
import type { GardenContext } from "../context";
import type { ContainerRecord } from "../depot/depot";
import { InvalidSpec } from "../errors";
import { resolveUser } from "../process/users";
import { resolveInRoot } from "./resolve-in-root";

/**
 * StreamIn: extracts a tar into the container's rootfs at `path`, owned by `user` (uid shifted
 * into the container's mapping). The archive is checked in full first, so a malicious one is
 * refused and changes nothing.
 */
export async function streamInto(
  context: GardenContext,
  record: ContainerRecord,
  opts: { user?: string; path: string; tar: Readable },
): Promise<void> {
  const rootfs = rootfsOf(record);
  const user = await resolveUser(rootfs, opts.user);
  const shift = record.privileged ? 0 : context.config.uidMapping.hostId;
  const owner = { uid: user.uid + shift, gid: user.gid + shift };
  const destination = await resolveInRoot(rootfs, opts.path);
  await makeDirsOwnedBy(rootfs, destination, owner);
  try {
    await extractTar(opts.tar, destination, { owner });
  } catch (error) {
    throw asInvalidSpec(error, record.handle);
  }
}

/** StreamOut: a tar of `path` in the container's rootfs; links are packed, never followed. */
export async function streamOutOf(
  _context: GardenContext,
  record: ContainerRecord,
  opts: { user?: string; path: string },
): Promise<Readable> {
  const rootfs = rootfsOf(record);
  const trailingSlash = opts.path.endsWith("/");
  const parent = await resolveInRoot(rootfs, dirname(opts.path.replace(/\/+$/, "")) || "/");
  const name = basename(opts.path.replace(/\/+$/, ""));
  try {
    return await packTar(parent, name ? `${name}${trailingSlash ? "/" : ""}` : "");
  } catch (error) {
    throw asInvalidSpec(error, record.handle);
  }
}

function rootfsOf(record: ContainerRecord): string {
  if (!record.rootfsPath) throw new InvalidSpec("container has no rootfs yet", { handle: record.handle });
  return record.rootfsPath;
}

/** Creates missing directories down to `dir`, owned like the extracted files will be. */
async function makeDirsOwnedBy(rootfs: string, dir: string, owner: { uid: number; gid: number }) {
  let current = rootfs;
  for (const part of relative(rootfs, dir).split("/").filter(Boolean)) {
    current = join(current, part);
    if (await lstat(current).catch(() => undefined)) continue;
    await mkdir(current, { mode: 0o755 });
    await lchown(current, owner.uid, owner.gid);
  }
}

function asInvalidSpec(error: unknown, handle: string): Error {
  const name = (error as Error).name;
  if (name === "InvalidArchive" || name === "InvalidPath") {
    return new InvalidSpec((error as Error).message, { handle });
  }
  return error as Error;
}
