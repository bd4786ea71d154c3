// Starts a Grove process from its bundle (`npm run build`) when the bundle is current, else from
// its TypeScript sources through tsx. "Current" means no source the bundle was built from changed
// since: a few dozen stat calls, far cheaper than compiling. GROVE_FROM_SOURCE=1 forces the sources.
// CommonJS, so that `grove` (a CommonJS bin) starts without Node's ES module loader; ES modules
// import it through `bin-entry.mjs`.
const { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } = require("node:fs");
const { createRequire } = require("node:module");
const { dirname, join } = require("node:path");
const { pathToFileURL } = require("node:url");
const { Script } = require("node:vm");

const root = join(__dirname, "..");

/** the `.inputs.json` beside a bundle */
const manifestOf = (bundle) => bundle.replace(/\.c?js$/, ".inputs.json");

/** the V8 code cache beside a CommonJS bundle */
const codeCacheOf = (bundle) => `${bundle}.v8-cache`;

/** the bundle's path when it exists and none of its sources changed after it was built */
function currentBundle(bundle, sourcesRoot = root) {
  if (process.env.GROVE_FROM_SOURCE === "1") return undefined;
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(manifestOf(bundle), "utf8"));
  } catch {
    return undefined;
  }
  try {
    for (const { path, sha1 } of manifest.inputs) {
      const file = join(sourcesRoot, path);
      // unchanged since the build (the usual case) costs one stat; a newer file (a checkout, a
      // restored build cache) is compared by content
      if (statSync(file).mtimeMs <= manifest.builtAt) continue;
      const { createHash } = require("node:crypto");
      if (createHash("sha1").update(readFileSync(file)).digest("hex") !== sha1) return undefined;
    }
  } catch {
    return undefined;
  }
  return bundle;
}

/**
 * Runs a CommonJS bundle compiled with V8's code cache (Node 20 has none for ES modules), so its
 * functions are not parsed and compiled again on every start. The cache file holds the bundle's
 * exact source after the cache data's length and before the data: a cache made for another build
 * is never used. When there is none, it is for another source, or V8 refuses it (another Node,
 * other flags), a new one is written at exit — after the command ran, so it holds the functions
 * the command compiled — unless the directory is not writable. `GROVE_DEBUG` says which on stderr.
 */
function runWithCodeCache(bundle) {
  const source = readFileSync(bundle);
  const cacheFile = codeCacheOf(bundle);
  let cachedData;
  try {
    const cache = readFileSync(cacheFile);
    if (cache.readUInt32LE(0) === source.length && cache.subarray(4, 4 + source.length).equals(source)) {
      cachedData = cache.subarray(4 + source.length);
    }
  } catch {
    // none yet, or unreadable: written at exit
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source.toString("utf8")}\n})`;
  const script = new Script(wrapper, { filename: bundle, cachedData });
  const debug = (text) => process.env.GROVE_DEBUG && process.stderr.write(`grove: code cache ${text}\n`);
  if (cachedData && !script.cachedDataRejected) debug(`used: ${cacheFile}`);
  else {
    process.once("exit", () => {
      const temporary = `${cacheFile}.${process.pid}`;
      try {
        const length = Buffer.alloc(4);
        length.writeUInt32LE(source.length);
        writeFileSync(temporary, Buffer.concat([length, source, script.createCachedData()]));
        renameSync(temporary, cacheFile);
        debug(`${cachedData ? "refused by V8, rewritten" : "written"}: ${cacheFile}`);
      } catch (error) {
        debug(`not written: ${error.message}`);
        try {
          unlinkSync(temporary);
        } catch {
          // never made
        }
      }
    });
  }
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

/**
 * Runs the bundle when current (a `.cjs` one with V8's code cache), else registers tsx and
 * imports the source entry.
 */
async function start(bundle, source) {
  const built = currentBundle(bundle);
  if (built?.endsWith(".cjs")) {
    runWithCodeCache(built);
    return;
  }
  if (built) {
    await import(pathToFileURL(built).href);
    return;
  }
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(source).href);
}

module.exports = { codeCacheOf, currentBundle, manifestOf, runWithCodeCache, start };
