import { stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";

/** A process identity whose access to a path is checked; `others` is any uid that owns nothing. */
export type Reacher = { uid: number; gid: number } | "others";

/** A directory above a path that `who` may not search, so it cannot reach the path. */
export interface Blocker {
  dir: string;
  mode: number;
}

/**
 * The first directory above `path` (from `/` down) that `who` cannot search, or undefined when
 * every existing one lets it through. Directories that do not exist yet are ours to make, and
 * are left out. Supplementary groups are not considered, so the answer errs on the safe side.
 */
export async function firstBlocker(path: string, who: Reacher): Promise<Blocker | undefined> {
  const above: string[] = [];
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    above.unshift(dir);
    if (dir === "/") break;
  }
  for (const dir of above) {
    const st = await stat(dir).catch(() => undefined);
    if (!st) return undefined;
    if (!searchable(st, who)) return { dir, mode: st.mode & 0o7777 };
  }
  return undefined;
}

function searchable(st: { uid: number; gid: number; mode: number }, who: Reacher): boolean {
  if (who === "others") return (st.mode & 0o001) !== 0;
  if (who.uid === 0) return true;
  if (st.uid === who.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === who.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/** A service user could not reach the directory it was given; `message` says which and what to do. */
export class DirectoryNotReachable extends Error {
  constructor(
    readonly user: string,
    readonly path: string,
    readonly blocker: Blocker,
  ) {
    super(
      `the ${user} user cannot reach ${path}: ${blocker.dir} (mode ${blocker.mode.toString(8).padStart(4, "0")}) ` +
        `does not let it through. Give the service a directory under one every user can search, such as /var/lib/grove.`,
    );
    this.name = "DirectoryNotReachable";
  }
}
