// The ES module face of `bin-entry.cjs` (starting a process from its bundle when current, else
// through tsx), with what needs the bundle list.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import entry from "./bin-entry.cjs";
import { bundles } from "./bundles.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

export const { codeCacheOf, currentBundle, manifestOf, runWithCodeCache, start } = entry;

/** Node's arguments to run a process's entry point (`apps/api/src/main.ts`, say): its bundle when current */
export function nodeArgsFor(source) {
  const known = bundles.find((b) => b.from === source);
  const built = known && currentBundle(join(root, known.to));
  return built ? [built] : ["--import", "tsx", join(root, source)];
}
