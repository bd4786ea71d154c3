import { type FSWatcher, watch } from "node:fs";

export interface DirWatch {
  /** Resolves at once if the directory changed since the last call, else at its next change or after `ms`. */
  wait(ms: number): Promise<void>;
  close(): void;
}

/**
 * Change notices for one directory (inotify through fs.watch), so readers of a process directory
 * wake when the monitor writes instead of polling. With `names`, only changes to those entries
 * count (a reader of stderr does not wake for every write to stdout). A directory that cannot be
 * watched (gone) just makes `wait` a timer.
 */
export function watchDir(dir: string, names?: readonly string[]): DirWatch {
  let changed = false;
  let wake: () => void = () => {};
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, (_event, name) => {
      if (names && name && !names.includes(name)) return;
      changed = true;
      wake();
    });
    watcher.on("error", () => wake());
  } catch {
    // The directory is gone: callers find out from what they read.
  }
  return {
    async wait(ms) {
      if (!changed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            wake = () => {};
            resolve();
          }
          wake = done;
        });
      }
      changed = false;
    },
    close() {
      watcher?.close();
      wake();
    },
  };
}
