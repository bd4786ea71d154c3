#!/usr/bin/env node
// `node infra/vm/bundle-tests.mjs OUT_DIR TEST_FILE...`: bundles each test file with the workspace
// code it imports into OUT_DIR/<name>.mjs (third-party packages stay imports of node_modules, so
// OUT_DIR must lie inside the checkout). The cgroup v2 guest runs these: under emulation, vite
// transforming a hundred TypeScript modules took minutes; one plain JS file per test takes seconds.
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { externalDependencies, keepSourceUrls } from "../build.mjs";

const root = fileURLToPath(new URL("../..", import.meta.url));
const [outDir, ...files] = process.argv.slice(2);
for (const file of files) {
  await build({
    entryPoints: [resolve(file)],
    outfile: join(outDir, basename(file).replace(/\.ts$/, ".mjs")),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    tsconfig: join(root, "tsconfig.base.json"),
    plugins: [externalDependencies, keepSourceUrls()],
    logLevel: "warning",
  });
}
