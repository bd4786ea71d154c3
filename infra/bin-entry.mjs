// The ES module face of `bin-entry.cjs` (starting a process from its bundle when current, else
// through tsx), with what needs the bundle list.
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundles } from "./bundles.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
// required at run time from the checkout, never bundled: a bundle (the single node's) that imports
// this module would otherwise carry CommonJS code that calls require and reads __dirname
const entry = createRequire(import.meta.url)("./bin-entry.cjs");

export const { codeCacheOf, currentBundle, manifestOf, runWithCodeCache, start } = entry;

/** Node's arguments to run a process's entry point (`apps/api/src/main.ts`, say): its bundle when current */
export function nodeArgsFor(source) {
  const known = bundles.find((b) => b.from === source);
  const built = known && currentBundle(join(root, known.to));
  return built ? [built] : ["--import", "tsx", join(root, source)];
}
