import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, type Dirent, mkdtempSync, rmSync } from "node:fs";
import { lstat, opendir, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pack } from "tar-stream";
import { CliError } from "../errors";
import { type IgnoreRules, loadIgnoreRules } from "./ignore-rules";

/** An app directory packed into a tar file on disk. */
export interface PackedBits {
  path: string;
  /** `sha256:<hex>` of the tar */
  digest: string;
  sizeBytes: number;
  /** files, directories and links in the archive */
  entries: number;
  /** Deletes the tar (until then, an interrupt or termination of the process deletes it too). */
  remove(): Promise<void>;
}

/** Something in the directory that was left out of the bits, and why. */
export interface Skipped {
  path: string;
  reason: string;
}

/**
 * Packs `dir` into a tar in a temp dir and hashes it as it is written. Entries are sorted and
 * carry no owner, so the same tree gives the same digest. Paths `.groveignore` excludes are left
 * out; symlinks are stored as links (never followed), and only when they stay inside `dir`;
 * sockets, fifos and devices are skipped. Each skip is reported to `onSkip`. Until `remove`, the
 * process's end deletes the temp dir: a SIGINT, SIGTERM or SIGHUP (Ctrl-C during a push) before the
 * signal ends it as it would have, and an exit (`process.exit`, as a closed stdout's EPIPE makes).
 */
export async function packDirectory(
  dir: string,
  onSkip: (skipped: Skipped) => void = () => {},
): Promise<PackedBits> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError(`${dir} is not a directory`);
  const rules = await loadIgnoreRules(dir);
  // Guarded before it exists and made synchronously: a signal's handler runs only once this returns,
  // so no Ctrl-C can end the process with the dir made and unguarded.
  let tempDir = "";
  const unguard = removedOnSignal(() => tempDir);
  try {
    tempDir = mkdtempSync(join(tmpdir(), "grove-push-"));
  } catch (error) {
    unguard();
    throw error;
  }
  const remove = () => {
    unguard();
    return rm(tempDir, { recursive: true, force: true });
  };
  const path = join(tempDir, "bits.tar");
  try {
    const archive = pack();
    const hash = createHash("sha256");
    let sizeBytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        done(null, chunk);
      },
    });
    const written = pipeline(archive, hashing, createWriteStream(path, { mode: 0o600 }));
    let entries = 0;
    try {
      for await (const entry of walk(dir, "", rules, onSkip)) {
        await addEntry(archive, entry);
        entries++;
      }
      archive.finalize();
    } catch (error) {
      archive.destroy(error as Error);
      await written.catch(() => {});
      throw error;
    }
    await written;
    if (entries === 0) throw new CliError(`nothing to push: ${dir} is empty once .groveignore is applied`);
    return { path, digest: `sha256:${hash.digest("hex")}`, sizeBytes, entries, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

const ENDING_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Deletes `dir()` (once it names one) when the process exits or one of `ENDING_SIGNALS` arrives,
 * then raises that signal again with no handler of its own left, so the process ends as it would
 * have (exit status 128 + the signal, or another handler's doing); returns the function that stops
 * guarding.
 */
function removedOnSignal(dir: () => string): () => void {
  const removeNow = () => {
    const path = dir();
    if (path) rmSync(path, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    unguard();
    removeNow();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  const unguard = () => {
    for (const signal of ENDING_SIGNALS) process.off(signal, onSignal);
    process.off("exit", removeNow);
  };
  for (const signal of ENDING_SIGNALS) process.once(signal, onSignal);
  process.once("exit", removeNow);
  return unguard;
}

interface Entry {
  header: Parameters<ReturnType<typeof pack>["entry"]>[0];
  /** absolute path of a regular file's content */
  source?: string;
}

async function* walk(
  root: string,
  relative: string,
  rules: IgnoreRules,
  onSkip: (skipped: Skipped) => void,
): AsyncGenerator<Entry> {
  const children: Dirent[] = [];
  for await (const child of await opendir(join(root, relative))) children.push(child);
  children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const child of children) {
    const name = relative === "" ? child.name : `${relative}/${child.name}`;
    const absolute = join(root, name);
    const info = await lstat(absolute);
    if (rules.ignores(name, info.isDirectory())) continue;
    const common = { mode: info.mode & 0o777, mtime: new Date(Math.floor(info.mtimeMs / 1000) * 1000) };
    const owner = { uid: 0, gid: 0, uname: "", gname: "" };
    if (info.isDirectory()) {
      yield { header: { name: `${name}/`, type: "directory", ...common, ...owner } };
      yield* walk(root, name, rules, onSkip);
    } else if (info.isFile()) {
      yield { header: { name, type: "file", size: info.size, ...common, ...owner }, source: absolute };
    } else if (info.isSymbolicLink()) {
      const target = await readlink(absolute);
      const resolved = posix.normalize(posix.join(posix.dirname(name), target));
      if (posix.isAbsolute(target) || resolved === ".." || resolved.startsWith("../")) {
        onSkip({ path: name, reason: `symlink points outside the app directory (${target})` });
        continue;
      }
      yield { header: { name, type: "symlink", linkname: target, ...common, ...owner } };
    } else {
      onSkip({ path: name, reason: "not a file, directory or symlink" });
    }
  }
}

async function addEntry(archive: ReturnType<typeof pack>, entry: Entry): Promise<void> {
  if (!entry.source) {
    await new Promise<void>((resolve, reject) =>
      archive.entry(entry.header, (error) => (error ? reject(error) : resolve())),
    );
    return;
  }
  const sink = archive.entry(entry.header, () => {});
  await pipeline(createReadStream(entry.source), sink).catch((error: NodeJS.ErrnoException) => {
    throw new CliError(`cannot pack ${entry.header.name}: ${error.code ?? error.message}`);
  });
}
