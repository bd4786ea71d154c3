import { constants } from "node:fs";
import {
  chmod,
  lchown,
  link,
  lstat,
  lutimes,
  mkdir,
  open,
  readdir,
  readlink,
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  type ArchiveLimits,
  DEFAULT_ARCHIVE_LIMITS,
  type DiskView,
  entrySegments,
  InvalidArchive,
  planArchive,
  spoolArchive,
  type TarEntry,
  tarEntries,
  whiteoutOf,
} from "./archive/index";

export interface ExtractOptions {
  /** added to every member's uid and gid (user-namespaced containers); default 0 */
  uidShift?: number;
  /** give every member this owner instead of the archive's (host ids; uidShift is not added) */
  owner?: { uid: number; gid: number };
  /**
   * "contained" (default) refuses symlinks whose target leaves destDir; "any" accepts them, for
   * image layers whose absolute links mean paths in the container. Symlinks are never followed.
   */
  symlinks?: "contained" | "any";
  /** device nodes and fifos: "reject" (default) refuses the archive, "skip" leaves them out */
  devices?: "reject" | "skip";
  /** apply OCI whiteouts (`.wh.<name>`, `.wh..wh..opq`) to what destDir already holds */
  whiteouts?: boolean;
  /** where a streamed archive is buffered while it is checked (default the OS temp dir) */
  spoolDir?: string;
  /** what the archive may hold (default DEFAULT_ARCHIVE_LIMITS) */
  limits?: ArchiveLimits;
  /** mode bits kept from members (default 0o7777); e.g. 0o770 drops setuid/setgid, sticky and world access */
  modeMask?: number;
  /** when set, a streamed archive whose SHA-256 is not this (`sha256:<hex>`) is refused before planning */
  digest?: string;
}

export interface ExtractResult {
  entries: number;
  /** bytes of the uncompressed tar stream */
  unpackedBytes: number;
}

/** The streamed archive's bytes are not the ones asked for. */
export class DigestMismatch extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`archive digest is ${actual}, not the expected ${expected}`);
    this.name = "DigestMismatch";
  }
}

const WRITE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** The destination's own entries, as the planner sees them. */
function diskOf(destDir: string): DiskView {
  return async (key) => {
    const st = await lstatOrNull(join(destDir, key));
    if (st === null) return null;
    if (st.isSymbolicLink()) return { kind: "symlink", target: await readlink(join(destDir, key)) };
    return { kind: st.isDirectory() ? "dir" : st.isFile() ? "file" : "other" };
  };
}

/**
 * Extracts a tar (or gzipped tar) into `destDir`. The archive is checked in full first (see
 * planArchive), so a refused archive changes nothing; while writing, every parent is checked
 * again with lstat and files are created with O_EXCL|O_NOFOLLOW, so nothing is ever written
 * through a symlink. Existing entries at a member's path are replaced, directories are merged.
 *
 * @example
 * await extractTar(request.body, join(rootfs, "home/vcap"), { uidShift: 100000 });
 */
export async function extractTar(
  source: Readable | string,
  destDir: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const archive = await spoolArchive(source, options.spoolDir);
  try {
    if (options.digest !== undefined && archive.digest !== undefined && archive.digest !== options.digest) {
      throw new DigestMismatch(options.digest, archive.digest);
    }
    const limits = options.limits ?? DEFAULT_ARCHIVE_LIMITS;
    const plan = await planArchive(archive.path, {
      limits,
      symlinks: options.symlinks ?? "contained",
      devices: options.devices ?? "reject",
      whiteouts: options.whiteouts ?? false,
      disk: diskOf(destDir),
    });
    await mkdir(destDir, { recursive: true });
    await applyArchive(archive.path, destDir, options, limits);
    return { entries: plan.entries, unpackedBytes: plan.unpackedBytes };
  } finally {
    await archive.dispose();
  }
}

/** The largest id a file can have (2^32 - 2: -1 means "unchanged" to chown). */
const MAX_ID = 4_294_967_294;

/**
 * A member's uid or gid. Ids past the octal field's 2097151 (OpenShift-style images use ~10^9)
 * are written by Go's and GNU's tar as PAX records, which tar-stream leaves in `pax`.
 */
function memberId(header: TarEntry["header"] | undefined, field: "uid" | "gid"): number {
  const pax = (header?.pax as Record<string, string> | undefined)?.[field];
  if (pax !== undefined && /^\d{1,10}$/.test(pax) && Number(pax) <= MAX_ID) return Number(pax);
  return header?.[field] ?? 0;
}

async function applyArchive(
  archivePath: string,
  destDir: string,
  options: ExtractOptions,
  limits: ArchiveLimits,
): Promise<void> {
  const shift = options.uidShift ?? 0;
  const modeMask = options.modeMask ?? 0o7777;
  const ownerOf = (header?: TarEntry["header"]) =>
    options.owner ?? { uid: memberId(header, "uid") + shift, gid: memberId(header, "gid") + shift };
  /** paths written by this archive, and every directory above one (so a lookup is one step) */
  const written = new Set<string>();
  const writtenAbove = new Set<string>();
  const markWritten = (segments: string[]) => {
    written.add(segments.join("/"));
    for (let i = 1; i < segments.length; i++) writtenAbove.add(segments.slice(0, i).join("/"));
  };
  const dirTimes: Array<[string, Date]> = [];
  const isWritten = (key: string) => written.has(key) || writtenAbove.has(key);

  async function ensureDirChain(name: string, segments: string[]): Promise<void> {
    for (let i = 1; i <= segments.length; i++) {
      const path = join(destDir, ...segments.slice(0, i));
      const st = await lstatOrNull(path);
      if (st === null) {
        await mkdir(path, { mode: 0o755 });
        const owner = ownerOf();
        await lchown(path, owner.uid, owner.gid);
      } else if (st.isSymbolicLink()) {
        throw new InvalidArchive(
          name,
          `${segments.slice(0, i).join("/")} became a symlink during extraction`,
        );
      } else if (!st.isDirectory()) {
        throw new InvalidArchive(name, `${segments.slice(0, i).join("/")} is not a directory`);
      }
    }
  }

  async function clearPath(path: string, keepDir: boolean): Promise<void> {
    const st = await lstatOrNull(path);
    if (st === null || (keepDir && st.isDirectory())) return;
    await rm(path, { recursive: true, force: true });
  }

  async function writeFileEntry(entry: TarEntry, path: string): Promise<void> {
    await clearPath(path, false);
    const handle = await open(path, WRITE_FLAGS, 0o600);
    try {
      // plain iteration: stream.pipeline would destroy the tar-stream entry and stall the parser
      for await (const chunk of entry) await handle.write(chunk as Uint8Array);
      const owner = ownerOf(entry.header);
      await handle.chown(owner.uid, owner.gid);
      await handle.chmod((entry.header.mode ?? 0o644) & modeMask);
      const mtime = entry.header.mtime ?? new Date();
      await handle.utimes(mtime, mtime);
    } finally {
      await handle.close();
    }
  }

  for await (const entry of tarEntries(archivePath, { maxUnpackedBytes: limits.maxUnpackedBytes })) {
    const { header } = entry;
    const name = header.name;
    const segments = entrySegments(name);
    const type = header.type ?? "file";
    if (segments.length === 0 || type === "character-device" || type === "block-device" || type === "fifo") {
      entry.resume();
      continue;
    }
    const key = segments.join("/");
    const parent = segments.slice(0, -1);
    const base = segments[segments.length - 1] ?? "";
    const whiteout = options.whiteouts ? whiteoutOf(base) : undefined;
    const path = join(destDir, key);
    if (whiteout) {
      entry.resume();
      await ensureDirChain(name, parent);
      const dir = join(destDir, ...parent);
      if (whiteout.kind === "opaque") {
        for (const child of await readdir(dir)) {
          const childKey = [...parent, child].join("/");
          if (!isWritten(childKey)) await rm(join(dir, child), { recursive: true, force: true });
        }
      } else if (whiteout.kind === "delete") {
        const target = [...parent, whiteout.name].join("/");
        if (!written.has(target)) await rm(join(destDir, target), { recursive: true, force: true });
      }
      continue;
    }
    await ensureDirChain(name, parent);
    const owner = ownerOf(header);
    const mtime = header.mtime ?? new Date();
    switch (type) {
      case "directory": {
        entry.resume();
        await clearPath(path, true);
        if ((await lstatOrNull(path)) === null) await mkdir(path, { mode: 0o700 });
        await lchown(path, owner.uid, owner.gid);
        await chmod(path, (header.mode ?? 0o755) & modeMask);
        dirTimes.push([path, mtime]);
        break;
      }
      case "file":
      case "contiguous-file":
        await writeFileEntry(entry, path);
        break;
      case "symlink":
        entry.resume();
        await clearPath(path, false);
        await symlink(header.linkname ?? "", path);
        await lchown(path, owner.uid, owner.gid);
        await lutimes(path, mtime, mtime);
        break;
      case "link": {
        entry.resume();
        const targetSegments = entrySegments(header.linkname ?? "");
        await ensureDirChain(name, targetSegments.slice(0, -1));
        const target = join(destDir, ...targetSegments);
        if (!(await lstatOrNull(target))?.isFile())
          throw new InvalidArchive(name, "hardlink target is not a file");
        await clearPath(path, false);
        await link(target, path);
        break;
      }
      default:
        entry.resume();
        throw new InvalidArchive(name, `unsupported entry type ${type}`);
    }
    markWritten(segments);
  }
  // directory times last: creating their children changed them
  for (const [path, mtime] of dirTimes.reverse()) await utimes(path, mtime, mtime).catch(() => undefined);
}
