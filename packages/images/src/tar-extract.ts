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
  rm,
  symlink,
  utimes,
} from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { InvalidArchive } from "./errors";
import { entrySegments, whiteoutOf } from "./tar-paths";
import { planExtraction } from "./tar-plan";
import { spoolArchive, type TarEntry, tarEntries } from "./tar-source";

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
}

export interface ExtractResult {
  entries: number;
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

/**
 * Extracts a tar (or gzipped tar) into `destDir`. The archive is checked in full first (see
 * planExtraction), so a refused archive changes nothing; while writing, every parent is checked
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
    const planOptions = {
      symlinks: options.symlinks ?? "contained",
      devices: options.devices ?? "reject",
      whiteouts: options.whiteouts ?? false,
    };
    const entries = await planExtraction(archive.path, destDir, planOptions);
    await mkdir(destDir, { recursive: true });
    await applyArchive(archive.path, destDir, options);
    return { entries };
  } finally {
    await archive.dispose();
  }
}

async function applyArchive(archivePath: string, destDir: string, options: ExtractOptions): Promise<void> {
  const shift = options.uidShift ?? 0;
  const ownerOf = (uid = 0, gid = 0) => options.owner ?? { uid: uid + shift, gid: gid + shift };
  const written = new Set<string>();
  const dirTimes: Array<[string, Date]> = [];
  const isWritten = (key: string) => {
    if (written.has(key)) return true;
    for (const w of written) if (w.startsWith(`${key}/`)) return true;
    return false;
  };

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
      const owner = ownerOf(entry.header.uid, entry.header.gid);
      await handle.chown(owner.uid, owner.gid);
      await handle.chmod((entry.header.mode ?? 0o644) & 0o7777);
      const mtime = entry.header.mtime ?? new Date();
      await handle.utimes(mtime, mtime);
    } finally {
      await handle.close();
    }
  }

  for await (const entry of tarEntries(archivePath)) {
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
    const owner = ownerOf(header.uid, header.gid);
    const mtime = header.mtime ?? new Date();
    switch (type) {
      case "directory": {
        entry.resume();
        await clearPath(path, true);
        if ((await lstatOrNull(path)) === null) await mkdir(path, { mode: 0o700 });
        await lchown(path, owner.uid, owner.gid);
        await chmod(path, (header.mode ?? 0o755) & 0o7777);
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
    written.add(key);
  }
  // directory times last: creating their children changed them
  for (const [path, mtime] of dirTimes.reverse()) await utimes(path, mtime, mtime).catch(() => undefined);
}
