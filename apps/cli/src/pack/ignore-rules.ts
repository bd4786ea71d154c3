import { readFile } from "node:fs/promises";
import { join } from "node:path";
import ignore, { type Ignore } from "ignore";

/** Never pushed: version-control metadata, Finder litter and the ignore file itself. */
export const ALWAYS_IGNORED = [".git/", ".hg/", ".svn/", ".DS_Store", ".groveignore"];

/** Which paths of an app directory stay out of its bits. */
export interface IgnoreRules {
  /** `path` is relative to the app directory, POSIX separators, no trailing slash */
  ignores(path: string, isDirectory: boolean): boolean;
}

/**
 * The rules of `DIR/.groveignore` (gitignore syntax: globs, `**`, leading `/` anchors, trailing
 * `/` for directories, `!` negation) plus `ALWAYS_IGNORED`.
 */
export async function loadIgnoreRules(dir: string): Promise<IgnoreRules> {
  const rules: Ignore = ignore().add(ALWAYS_IGNORED);
  try {
    rules.add(await readFile(join(dir, ".groveignore"), "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  return {
    ignores: (path, isDirectory) => rules.ignores(isDirectory ? `${path}/` : path),
  };
}
