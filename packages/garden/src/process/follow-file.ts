import { type FileHandle, open } from "node:fs/promises";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";

const pollMs = 20;

/**
 * A reader of `path` from its first byte that keeps following the file while it grows and ends
 * once `finished()` is true and everything written before that has been read — like `tail -f`
 * that knows when the writer is done.
 */
export function followFile(path: string, finished: () => Promise<boolean>): Readable {
  let file: FileHandle | undefined;
  let position = 0;
  let closed = false;
  const buffer = Buffer.alloc(64 * 1024);

  async function nextChunk(): Promise<Buffer | null> {
    for (;;) {
      if (closed) return null;
      if (!file) {
        file = await open(path, "r").catch(() => undefined);
        if (!file) {
          if (await finished()) return null;
          await sleep(pollMs);
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
      if (done) return null;
      await sleep(pollMs);
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
      const handle = file;
      file = undefined;
      (handle ? handle.close() : Promise.resolve()).then(
        () => callback(error),
        () => callback(error),
      );
    },
  });
}
