/**
 * Runs vitest inside the guest (infra/vm/test-cgroup2): `node guest-vitest.mjs RESULTS DIR` runs
 * every *.test.mjs in DIR (bundles made by bundle-tests.mjs). The checkout is a read-only share
 * there, so no config file is loaded (vite would write its bundled copy beside it) and vite's cache
 * goes to /tmp. Timeouts are long: the guest runs under emulation, where Node is about 20 times
 * slower than on the host.
 */
import { startVitest } from "vitest/node";

const [outputFile, dir] = process.argv.slice(2);
const vitest = await startVitest(
  "test",
  [],
  {
    config: false,
    root: dir,
    watch: false,
    include: ["*.test.mjs"],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: "forks",
    fileParallelism: false,
    // as the host suites: one more try under CI, and the totals still name a test that needed it
    retry: process.env.CI === "true" ? 1 : 0,
    reporters: ["default", ["json", { outputFile }]],
  },
  { cacheDir: "/tmp/vite-cache" },
);
if (!vitest) process.exit(1);
await vitest.close();
process.exit(process.exitCode || vitest.state.getCountOfFailedTests() > 0 ? 1 : 0);
