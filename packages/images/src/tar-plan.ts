import { lstat, readlink } from "node:fs/promises";
import { join } from "node:path";
import { InvalidArchive } from "./errors";
import { entrySegments, whiteoutOf } from "./tar-paths";
import { tarEntries } from "./tar-source";

/** What an archive has put at a path so far; "fresh-dir" replaced whatever the destination had. */
type Declared = "dir" | "fresh-dir" | "file" | "symlink" | "deleted";

export interface PlanOptions {
  symlinks: "contained" | "any";
  devices: "reject" | "skip";
  whiteouts: boolean;
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/**
 * Reads the whole archive once and refuses it, before anything is written, if any member would
 * land outside `destDir`, write through a symlink (from the archive or already in `destDir`), link
 * to something outside, or is a device node or fifo. It simulates what earlier members (and
 * whiteouts) do to the tree so later members are judged against the tree as it will be.
 */
export async function planExtraction(
  archivePath: string,
  destDir: string,
  options: PlanOptions,
): Promise<number> {
  const declared = new Map<string, Declared>();
  const opaqueDirs = new Set<string>();
  const linkTargets = new Map<string, string>();
  let count = 0;

  function declare(key: string, kind: Declared): void {
    declared.set(key, kind);
    for (const link of linkTargets.keys()) {
      if (link === key || link.startsWith(`${key}/`)) linkTargets.delete(link);
    }
  }

  /** Whether the destination's own entry at `segments` still shows through what the archive did. */
  function diskVisible(segments: string[]): boolean {
    for (let i = 1; i <= segments.length; i++) {
      const kind = declared.get(segments.slice(0, i).join("/"));
      if (i < segments.length && (kind === "fresh-dir" || kind === "deleted")) return false;
      if (i === segments.length && kind !== undefined) return false;
      if (opaqueDirs.has(segments.slice(0, i - 1).join("/"))) return false;
    }
    return true;
  }

  /** The target of a symlink at `segments`, as the tree will be at this point of the archive. */
  async function symlinkTargetAt(segments: string[]): Promise<string | undefined> {
    const key = segments.join("/");
    if (linkTargets.has(key)) return linkTargets.get(key);
    if (!diskVisible(segments)) return undefined;
    const st = await lstatOrNull(join(destDir, key));
    return st?.isSymbolicLink() ? readlink(join(destDir, key)) : undefined;
  }

  /**
   * Resolves `target` from the directory `from` the way a reader following links would, through
   * symlinks from the archive or already on disk; null when it would leave the destination.
   */
  async function resolveInside(from: string[], target: string, depth = 0): Promise<string[] | null> {
    if (depth > 40 || target.startsWith("/")) return null;
    let resolved = [...from];
    for (const part of target.split("/")) {
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (resolved.length === 0) return null;
        resolved.pop();
        continue;
      }
      resolved.push(part);
      const link = await symlinkTargetAt(resolved);
      if (link !== undefined) {
        const next = await resolveInside(resolved.slice(0, -1), link, depth + 1);
        if (next === null) return null;
        resolved = next;
      }
    }
    return resolved;
  }

  /** Every proper prefix of `segments` must end up a real directory inside destDir. */
  async function checkDirChain(name: string, segments: string[]): Promise<void> {
    let goneOnDisk = false;
    for (let i = 1; i <= segments.length; i++) {
      const key = segments.slice(0, i).join("/");
      const parentKey = segments.slice(0, i - 1).join("/");
      if (opaqueDirs.has(parentKey)) goneOnDisk = true;
      const kind = declared.get(key);
      if (kind === "dir") continue;
      if (kind === "fresh-dir" || kind === "deleted") {
        goneOnDisk = true;
        continue;
      }
      if (kind === "symlink") throw new InvalidArchive(name, `parent ${key} is a symlink in the archive`);
      if (kind === "file") throw new InvalidArchive(name, `parent ${key} is a file in the archive`);
      if (goneOnDisk) continue;
      const st = await lstatOrNull(join(destDir, key));
      if (st === null) goneOnDisk = true;
      else if (st.isSymbolicLink()) throw new InvalidArchive(name, `would write through the symlink ${key}`);
      else if (!st.isDirectory()) throw new InvalidArchive(name, `parent ${key} is not a directory`);
    }
  }

  /** Whether whatever is on disk at `segments` is a directory that stays (so its contents merge). */
  async function replacesOnDisk(segments: string[]): Promise<boolean> {
    const key = segments.join("/");
    const kind = declared.get(key);
    if (kind === "dir" || kind === "fresh-dir") return kind === "fresh-dir";
    if (kind !== undefined) return true;
    const st = await lstatOrNull(join(destDir, key));
    return st === null || !st.isDirectory();
  }

  for await (const entry of tarEntries(archivePath)) {
    const { header } = entry;
    entry.resume();
    count++;
    const name = header.name;
    const segments = entrySegments(name);
    const key = segments.join("/");
    const type = header.type ?? "file";
    if (segments.length === 0) {
      if (type !== "directory")
        throw new InvalidArchive(name, "only a directory may name the destination itself");
      continue;
    }
    const parent = segments.slice(0, -1);
    const base = segments[segments.length - 1] ?? "";
    const whiteout = options.whiteouts ? whiteoutOf(base) : undefined;
    if (whiteout) {
      await checkDirChain(name, parent);
      if (whiteout.kind === "opaque") opaqueDirs.add(parent.join("/"));
      if (whiteout.kind === "delete") {
        if (whiteout.name === "" || whiteout.name === "." || whiteout.name === "..") {
          throw new InvalidArchive(name, "whiteout of an invalid name");
        }
        declare([...parent, whiteout.name].join("/"), "deleted");
      }
      continue;
    }
    await checkDirChain(name, parent);
    switch (type) {
      case "directory":
        declare(key, (await replacesOnDisk(segments)) ? "fresh-dir" : "dir");
        break;
      case "file":
      case "contiguous-file":
        declare(key, "file");
        break;
      case "symlink": {
        const target = header.linkname ?? "";
        if (target === "") throw new InvalidArchive(name, "symlink without a target");
        if (options.symlinks === "contained" && (await resolveInside(parent, target)) === null) {
          throw new InvalidArchive(name, `symlink target ${JSON.stringify(target)} leaves the destination`);
        }
        declare(key, "symlink");
        linkTargets.set(key, target);
        break;
      }
      case "link": {
        const linkname = header.linkname ?? "";
        let targetSegments: string[];
        try {
          targetSegments = entrySegments(linkname);
        } catch {
          throw new InvalidArchive(
            name,
            `hardlink target ${JSON.stringify(linkname)} leaves the destination`,
          );
        }
        const targetKey = targetSegments.join("/");
        if (targetSegments.length === 0 || targetKey === key)
          throw new InvalidArchive(name, "bad hardlink target");
        const kind = declared.get(targetKey);
        if (kind !== "file") {
          if (kind !== undefined)
            throw new InvalidArchive(name, `hardlink target ${targetKey} is not a file`);
          await checkDirChain(name, targetSegments.slice(0, -1));
          const st = await lstatOrNull(join(destDir, targetKey));
          if (!st?.isFile())
            throw new InvalidArchive(name, `hardlink target ${targetKey} is not a file here`);
        }
        declare(key, "file");
        break;
      }
      case "character-device":
      case "block-device":
      case "fifo":
        if (options.devices === "reject") throw new InvalidArchive(name, `${type} entries are not allowed`);
        break;
      default:
        throw new InvalidArchive(name, `unsupported entry type ${type}`);
    }
  }
  return count;
}
