import pino from "pino";
import { parseGardenFlags, UsageError, usage } from "./cli-flags";
import { createGardenServer } from "./server";

/**
 * `grove-garden`: the Garden API for one host. Shutting down (SIGTERM/SIGINT) closes the listener
 * and the runtime's in-memory state; containers and their processes keep running, and the next
 * start re-attaches to them from the depot.
 */
async function main(args: string[]): Promise<void> {
  const cleanup = args[0] === "cleanup";
  const argv = cleanup ? args.slice(1) : args;
  let config: ReturnType<typeof parseGardenFlags>;
  try {
    config = parseGardenFlags(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`grove-garden: ${error.message}\n`);
    process.exit(1);
  }
  if (config === "help") {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const log = pino({ name: "grove-garden", level: config.logLevel });
  if (cleanup) {
    const { cleanupGardenRuntime } = await import("./runtime-wiring");
    await cleanupGardenRuntime(config, log);
    log.info({ depot: config.depotDir, bridge: config.network.bridge }, "grove-garden cleaned up");
    return;
  }
  // Loaded only now so that --help and flag errors answer without touching the runtime.
  const { createGardenRuntime } = await import("./runtime-wiring");
  const garden = await createGardenRuntime(config, log);
  const server = createGardenServer({ garden, log });
  const address = await server.listen(config.listen);
  if (config.debug) {
    const { startDebugServer } = await import("./debug-server");
    await startDebugServer(config.debug);
    log.info({ debug: config.debug }, "serving /debug/vars");
  }
  log.info({ address, depot: config.depotDir }, "grove-garden serving");

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down; containers keep running");
    await server.close();
    await garden.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`grove-garden: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
