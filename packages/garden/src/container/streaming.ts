import { chown, mkdir, mkdtemp, rm } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { extractTar, InvalidArchive } from "@grove/images";
import { pack } from "tar-stream";
import type { GardenContext } from "../context";
import type { ContainerRecord } from "../depot/depot";
import { GardenError, InvalidSpec } from "../errors";
import { readPid } from "../process/process-handle";
import { resolveUser } from "../process/users";
import { ByteReader, type FileEntry, readEntry } from "./file-entries";
import { type FilesTarget, runFilesHelper } from "./files-helper";

/**
 * StreamIn: extracts a tar at `path` in the container, owned by `user`. The archive is extracted
 * and checked in full into a private directory of the host first (a malicious one is refused and
 * changes nothing in the container), then grove-files copies that tree in from inside the
 * container's namespaces as the user, so `path` and every link on the way resolve in the container.
 */
export async function streamInto(
  context: GardenContext,
  record: ContainerRecord,
  opts: { user?: string; path: string; tar: Readable },
): Promise<void> {
  const target = await targetOf(context, record, opts.user);
  const shift = record.privileged ? 0 : context.config.uidMapping.hostId;
  const owner = { uid: target.uid + shift, gid: target.gid + shift };
  const staging = await mkdtemp(join(context.depot.dir(record.handle), "stream-in-"));
  try {
    // The helper reads the tree as the user, so the user owns it; only root reaches its parent.
    const tree = join(staging, "tree");
    await mkdir(tree, { mode: 0o700 });
    await chown(tree, owner.uid, owner.gid);
    try {
      await extractTar(opts.tar, tree, { owner, spoolDir: staging });
    } catch (error) {
      throw asInvalidSpec(error, record.handle);
    }
    const failure = await runFilesHelper(target, ["in", inHome(target.home, opts.path), tree]).outcome;
    if (failure) throw failure;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * StreamOut: a tar of `path` as the user sees it in the container; with a trailing slash, of what
 * the directory holds (named "./…"). Links below `path` are packed, never followed.
 */
export async function streamOutOf(
  context: GardenContext,
  record: ContainerRecord,
  opts: { user?: string; path: string },
): Promise<Readable> {
  const target = await targetOf(context, record, opts.user);
  const run = runFilesHelper(target, ["out", inHome(target.home, opts.path)]);
  const reader = new ByteReader(run.stdout);
  const first = await readEntry(reader).catch(() => undefined);
  if (!first) {
    run.kill();
    throw (
      (await run.outcome) ?? new GardenError(`stream out ${opts.path}: no entries`, { handle: record.handle })
    );
  }
  const packer = pack();
  const pump = async () => {
    let entry: FileEntry | undefined = first;
    while (entry && entry.type !== "end") {
      const header = {
        name: entry.type === "directory" && !entry.name.endsWith("/") ? `${entry.name}/` : entry.name,
        type: entry.type,
        mode: entry.mode,
        uid: entry.uid,
        gid: entry.gid,
        mtime: entry.mtime,
      };
      if (entry.type === "file") {
        await pipeline(
          Readable.from(reader.pieces(entry.size)),
          packer.entry({ ...header, size: entry.size }),
        );
      } else {
        packer.entry(entry.type === "symlink" ? { ...header, linkname: entry.linkname } : header);
      }
      entry = await readEntry(reader);
    }
    const failure = await run.outcome;
    if (failure) throw failure;
    if (!entry) throw new GardenError(`stream out ${opts.path}: cut short`, { handle: record.handle });
    packer.finalize();
  };
  pump().catch((error: Error) => {
    run.kill();
    packer.destroy(error);
  });
  const out = Readable.from(packer);
  // a reader that goes away early must not leave the helper blocked on a full pipe
  out.once("close", () => {
    run.kill();
    if (!packer.destroyed) packer.destroy();
  });
  return out;
}

/** As in Garden, a relative path is the user's home's; a trailing slash (contents) is kept. */
function inHome(home: string, path: string): string {
  if (path.startsWith("/")) return path;
  const joined = posix.join(home || "/", path);
  return path.endsWith("/") && !joined.endsWith("/") ? `${joined}/` : joined;
}

async function targetOf(
  context: GardenContext,
  record: ContainerRecord,
  user?: string,
): Promise<FilesTarget & { home: string }> {
  if (!record.rootfsPath) throw new InvalidSpec("container has no rootfs yet", { handle: record.handle });
  const initPid = await readPid(context.depot.initDir(record.handle));
  if (initPid === undefined)
    throw new InvalidSpec("container has no init process", { handle: record.handle });
  const resolved = await resolveUser(record.rootfsPath, user);
  return {
    binary: context.filesBinary,
    handle: record.handle,
    initPid,
    uid: resolved.uid,
    gid: resolved.gid,
    home: resolved.home,
  };
}

function asInvalidSpec(error: unknown, handle: string): Error {
  if (error instanceof InvalidArchive || (error as Error).name === "InvalidPath") {
    return new InvalidSpec((error as Error).message, { handle });
  }
  return error as Error;
}
