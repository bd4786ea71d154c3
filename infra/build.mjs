#!/usr/bin/env node
// `npm run build`: bundles each process's TypeScript entry point (with the workspace packages it
// imports) into one ESM (or CommonJS) file under its package's dist/, so a process starts on plain Node without
// compiling on every start. Third-party packages stay imports from node_modules. Next to each
// bundle, `<name>.inputs.json` lists the workspace sources it was built from with their hashes: the
// bin scripts use a bundle only while none of them changed (`bin-entry.mjs`), else tsx.
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { manifestOf } from "./bin-entry.mjs";
import { bundles } from "./bundles.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Workspace sources find files beside them (migrations, C helpers) through import.meta.url or
 * import.meta.dirname; in a bundle those would name the bundle, so each source gets its own written in
 * (under `at` instead of this checkout for a bundle that runs in an image).
 */
export const keepSourceUrls = (at) => ({
  name: "keep-source-urls",
  setup(b) {
    b.onLoad({ filter: /\.(tsx?|mjs)$/ }, async (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const text = await readFile(args.path, "utf8");
      const path = at ? join(at, relative(root, args.path)) : args.path;
      const url = JSON.stringify(pathToFileURL(path).href);
      const contents = text
        .replaceAll("import.meta.url", url)
        .replaceAll("import.meta.dirname", JSON.stringify(dirname(path)));
      const loader = args.path.endsWith(".mjs") ? "js" : args.path.endsWith("x") ? "tsx" : "ts";
      return { contents, loader };
    });
  },
});

/** bare imports of anything but a workspace package stay imports of node_modules */
export const externalDependencies = {
  name: "external-dependencies",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@grove/") ? undefined : { path: args.path, external: true },
    );
  },
};

async function bundle(entry, outDir) {
  const outfile = join(outDir, entry.to);
  const result = await build({
    entryPoints: [join(root, entry.from)],
    outfile,
    bundle: true,
    platform: "node",
    format: entry.format ?? "esm",
    target: "node20",
    // a CommonJS bundle runs in a vm.Script (bin-entry.cjs), which has no loader for import(): the
    // dynamic imports of Node's built-ins (node:https, node:readline…) become require calls
    ...(entry.format === "cjs" ? { supported: { "dynamic-import": false } } : {}),
    sourcemap: "linked",
    metafile: true,
    jsx: "automatic",
    jsxImportSource: "hono/jsx",
    tsconfig: join(root, "tsconfig.base.json"),
    plugins: entry.self ? [keepSourceUrls(entry.at)] : [externalDependencies, keepSourceUrls(entry.at)],
    // bundled CommonJS dependencies call require() for Node's built-ins
    banner:
      entry.self && entry.format !== "cjs"
        ? {
            js: [
              'import { createRequire as __groveRequire } from "node:module";',
              'import { fileURLToPath as __groveFileUrl } from "node:url";',
              "const require = __groveRequire(import.meta.url);",
              "const __filename = __groveFileUrl(import.meta.url);",
            ].join(" "),
          }
        : {},
    logLevel: "warning",
  });
  const paths = Object.keys(result.metafile.inputs)
    .map((p) => relative(root, join(process.cwd(), p)))
    .filter((p) => !p.startsWith("node_modules/") && !p.startsWith(".."))
    .sort();
  const inputs = await Promise.all(
    paths.map(async (path) => ({
      path,
      sha1: createHash("sha1")
        .update(await readFile(join(root, path)))
        .digest("hex"),
    })),
  );
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(manifestOf(outfile), `${JSON.stringify({ builtAt: Date.now(), inputs }, null, 1)}\n`);
  return { name: entry.name, inputs: inputs.length };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  // `--out-dir DIR` writes the bundles under DIR instead of beside their sources (tests build there)
  const at = process.argv.indexOf("--out-dir");
  const outDir = at > 0 ? process.argv[at + 1] : root;
  // `--only NAME` makes that bundle alone
  const only = process.argv.indexOf("--only");
  const chosen = only > 0 ? bundles.filter((b) => b.name === process.argv[only + 1]) : bundles;
  const built = await Promise.all(chosen.map((entry) => bundle(entry, outDir)));
  for (const b of built) process.stdout.write(`built ${b.name} (${b.inputs} sources)\n`);
  process.stdout.write(`build: ${built.length} bundles in ${Date.now() - started} ms\n`);
}
