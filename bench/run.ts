/**
 * `npm run bench -- <name>`: runs one benchmark, which prints a table and writes
 * bench/results/<name>.json, comparing against a baseline measured in the same run.
 */
export {};

const benches: Record<string, () => Promise<string>> = {
  cluster: () => import("./cluster.ts").then((m) => m.main()),
  cli: () => import("./cli.ts").then((m) => m.main()),
  placement: () => import("./placement.ts").then((m) => m.main()),
  pull: () => import("./pull.ts").then((m) => m.main()),
  policy: () => import("./policy.ts").then((m) => m.main()),
  push: () => import("./push.ts").then((m) => m.main()),
  router: () => import("./router.ts").then((m) => m.main()),
  runtime: () => import("./runtime.ts").then((m) => m.main()),
  volumes: () => import("./volumes.ts").then((m) => m.main()),
};

const name = process.argv[2];
const run = name ? benches[name] : undefined;
if (!run) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join("|")}>`);
  process.exit(1);
}
await run();
