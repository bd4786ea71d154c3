import { ensureHelperBinaries } from "./build";

/** `tsx packages/garden/src/monitor/cli.ts <cacheDir>`: builds the C helpers ahead of time (setup script). */
const cacheDir = process.argv[2];
if (!cacheDir) {
  process.stderr.write("usage: grove-helpers-build <cacheDir>\n");
  process.exit(2);
}
ensureHelperBinaries(cacheDir).then(
  (paths) => process.stdout.write(`${paths.monitor}\n${paths.init}\n${paths.files}\n`),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
