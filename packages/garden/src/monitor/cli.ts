import { ensureMonitorBinary } from "./build";

/** `tsx packages/garden/src/monitor/cli.ts <cacheDir>`: builds the monitor ahead of time (setup script). */
const cacheDir = process.argv[2];
if (!cacheDir) {
  process.stderr.write("usage: grove-monitor-build <cacheDir>\n");
  process.exit(2);
}
ensureMonitorBinary(cacheDir).then(
  (path) => process.stdout.write(`${path}\n`),
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  },
);
