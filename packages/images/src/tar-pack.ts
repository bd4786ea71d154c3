import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { InvalidPath } from "./errors";

async function resolveInside(dir: string, relPath: string): Promise<{ full: string; segments: string[] }> {
  const segments = relPath.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) throw new InvalidPath(relPath, "contains '..'");
  for (let i = 1; i < segments.length; i++) {
    const prefix = segments.slice(0, i).join("/");
    const st = await lstat(join(dir, prefix)).catch(() => null);
    if (st === null) throw new InvalidPath(relPath, `${prefix} does not exist`);
    if (st.isSymbolicLink()) throw new InvalidPath(relPath, `${prefix} is a symlink`);
    if (!st.isDirectory()) throw new InvalidPath(relPath, `${prefix} is not a directory`);
  }
  const full = join(dir, ...segments);
  if ((await lstat(full).catch(() => null)) === null) throw new InvalidPath(relPath, "does not exist");
  return { full, segments };
}

/**
 * A tar stream of `relPath` inside `dir`, for StreamOut. As with `tar -C parent -c base`, members
 * are named from the last segment of `relPath` ("app/x"); with a trailing slash ("app/") the
 * directory's contents are packed under "./". Symlinks are packed as symlinks, never followed, and
 * a path that reaches through a symlink is refused with InvalidPath (checked before returning).
 */
export async function packTar(dir: string, relPath: string): Promise<Readable> {
  const { full, segments } = await resolveInside(dir, relPath);
  const contentsOnly = relPath.endsWith("/") || segments.length === 0;
  const top = contentsOnly ? "." : (segments[segments.length - 1] ?? ".");
  const packer = pack();

  async function add(path: string, name: string): Promise<void> {
    const st = await lstat(path);
    const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      packer.entry({ ...base, name: `${name}/`, type: "directory" });
      for (const child of (await readdir(path)).sort()) await add(join(path, child), `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      packer.entry({ ...base, type: "symlink", linkname: await readlink(path) });
    } else if (st.isFile()) {
      const sink = packer.entry({ ...base, type: "file", size: st.size });
      await pipeline(createReadStream(path), sink);
    }
    // sockets, fifos and devices have no content to stream out
  }

  add(full, top).then(
    () => packer.finalize(),
    (err: Error) => packer.destroy(err),
  );
  const out = Readable.from(packer);
  // a reader that goes away early must not leave the walk blocked on a full pack stream
  out.once("close", () => {
    if (!packer.destroyed) packer.destroy();
  });
  return out;
}
