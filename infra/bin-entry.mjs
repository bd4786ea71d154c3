// Starts a Grove process from its bundle (`npm run build`) when the bundle is current, else from
// its TypeScript sources through tsx. "Current" means no source the bundle was built from changed
// since: a few dozen stat calls, far cheaper than compiling. GROVE_FROM_SOURCE=1 forces the sources.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { bundles } from "./bundles.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

/** the bundle's path when it exists and none of its sources changed after it was built */
export function currentBundle(bundle, sourcesRoot = root) {
  if (process.env.GROVE_FROM_SOURCE === "1") return undefined;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(bundle.replace(/\.js$/, ".inputs.json"), "utf8"));
  } catch {
    return undefined;
  }
  try {
    for (const { path, sha1 } of manifest.inputs) {
      const file = join(sourcesRoot, path);
      // unchanged since the build (the usual case) costs one stat; a newer file (a checkout, a
      // restored build cache) is compared by content
      if (statSync(file).mtimeMs <= manifest.builtAt) continue;
      if (createHash("sha1").update(readFileSync(file)).digest("hex") !== sha1) return undefined;
    }
  } catch {
    return undefined;
  }
  return bundle;
}

/** imports the bundle when current, else registers tsx and imports the source entry */
export async function start(bundle, source) {
  const built = currentBundle(bundle);
  if (built) {
    await import(pathToFileURL(built).href);
    return;
  }
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
}

/** Node's arguments to run a process's entry point (`apps/api/src/main.ts`, say): its bundle when current */
export function nodeArgsFor(source) {
  const known = bundles.find((b) => b.from === source);
  const built = known && currentBundle(join(root, known.to));
  return built ? [built] : ["--import", "tsx", join(root, source)];
}
