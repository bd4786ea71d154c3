import { type FileHandle, open, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { type DirWatch, watchDir } from "./dir-watch";

/** Longest pause between looks when no change was noticed (a safety net: changes wake it sooner). */
const recheckMs = 250;

/**
 * A reader of `path` from its first byte that keeps following the file while it grows and ends
 * once `finished()` is true and everything written before that has been read — like `tail -F`
 * that knows when the writer is done. When the writer moves the file aside and starts a new one
 * (grove-monitor's output cap), the reader finishes the old file and goes on with the new one.
 */
export function followFile(path: string, finished: () => Promise<boolean>): Readable {
  let file: FileHandle | undefined;
  let position = 0;
  let closed = false;
  let changes: DirWatch | undefined;
  const buffer = Buffer.alloc(64 * 1024);
  const pause = () => {
    changes ??= watchDir(dirname(path));
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
      // Check before reading: output written before the writer finished is then always read.
      const done = await finished();
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead > 0) {
        position += bytesRead;
        return Buffer.from(buffer.subarray(0, bytesRead));
      }
      if (await replaced(file, path)) {
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
