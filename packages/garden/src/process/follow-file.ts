import { type FileHandle, open, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { Readable } from "node:stream";
import type { ReadOptions } from "../garden-api";
import { type DirWatch, watchDir } from "./dir-watch";

/** Longest pause between looks when no change was noticed (a safety net: changes wake it sooner). */
const recheckMs = 250;

/**
 * A reader of `path` from its first byte that keeps following the file while it grows and ends
 * once `finished()` is true and everything written before that has been read — like `tail -F`
 * that knows when the writer is done. When the writer moves the file aside and starts a new one
 * (grove-monitor's output cap), the reader finishes the old file and goes on with the new one.
 * It wakes on changes to the file itself and to the entries named in `alsoWakeOn` (say, the file
 * that tells the writer is done). With `coalesceMs`, reads are at least that far apart, so output
 * written as many small pieces is read (and passed on) in batches. `onRead` hears of every read.
 */
export function followFile(
  path: string,
  finished: () => Promise<boolean>,
  {
    coalesceMs = 0,
    alsoWakeOn = [],
    onRead,
  }: Omit<ReadOptions, "acknowledge"> & { alsoWakeOn?: string[]; onRead?: (bytes: number) => void } = {},
): Readable {
  let file: FileHandle | undefined;
  let position = 0;
  let lastRead = Number.NEGATIVE_INFINITY;
  let closed = false;
  let changes: DirWatch | undefined;
  const buffer = Buffer.alloc(64 * 1024);
  const pause = () => {
    changes ??= watchDir(dirname(path), [basename(path), ...alsoWakeOn]);
    return changes.wait(recheckMs);
  };

  async function nextChunk(): Promise<Buffer | null> {
    for (;;) {
      if (closed) return null;
      if (!file) {
        file = await open(path, "r").catch(() => undefined);
        if (!file) {
          if (await finished()) return null;
          await pause();
          continue;
        }
      }
      if (coalesceMs > 0) {
        const wait = lastRead + coalesceMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      // Check before reading: output written before the writer finished is then always read.
      const done = await finished();
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        // A full buffer means more is waiting: read on at once.
        lastRead = bytesRead === buffer.length ? Number.NEGATIVE_INFINITY : performance.now();
        position += bytesRead;
        onRead?.(bytesRead);
        return Buffer.from(buffer.subarray(0, bytesRead));
      }
      if (await replaced(file, path)) {
        // The writer may have added to the old file between that read and its move: read it to
        // its end once more (nothing writes to it once the new one exists) before going on.
        const { bytesRead: last } = await file.read(buffer, 0, buffer.length, position);
        if (last > 0) {
          position += last;
          onRead?.(last);
          return Buffer.from(buffer.subarray(0, last));
        }
        await file.close().catch(() => {});
        file = undefined;
        position = 0;
        continue;
      }
      if (done) return null;
      await pause();
    }
  }

  return new Readable({
    read() {
      nextChunk().then(
        (chunk) => this.push(chunk),
        (error: Error) => this.destroy(error),
      );
    },
    destroy(error, callback) {
      closed = true;
      changes?.close();
      const handle = file;
      file = undefined;
      (handle ? handle.close() : Promise.resolve()).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}

/** Whether `path` now names another file than the open one (which was moved aside). */
async function replaced(file: FileHandle, path: string): Promise<boolean> {
  const [open, named] = await Promise.all([file.stat(), stat(path).catch(() => undefined)]);
  return named !== undefined && (named.ino !== open.ino || named.dev !== open.dev);
}
