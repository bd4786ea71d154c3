import { setTimeout as sleep } from "node:timers/promises";
import { noneIfGone } from "../cgroups/cgroup";
import { cgroupOf, type GardenContext } from "../context";
import { readPid } from "../process/process-handle";

const pollMs = 50;
const resendMs = 1_000;

/**
 * Garden's stop: SIGTERM to every process but init, resent every second, SIGKILL to whatever is
 * left after the stop timeout (or at once with `kill`). Init keeps the namespaces alive, so the
 * container can still be inspected, streamed from and destroyed.
 */
export async function stopContainer(context: GardenContext, handle: string, kill: boolean): Promise<void> {
  const cgroup = cgroupOf(context, handle);
  const initPid = await readPid(context.depot.initDir(handle));
  // a cgroup already gone holds nothing to signal; any other failed read is an error
  const others = async () =>
    (await cgroup.processIds().catch((error: unknown) => noneIfGone(error, [] as number[]))).filter(
      (pid) => pid !== initPid,
    );
  const logger = context.logger.child({ handle, kill });
  logger.info("stop starting");
  if (!kill) {
    const deadline = Date.now() + context.config.stopTimeoutMs;
    let lastSent = 0;
    while (Date.now() < deadline) {
      const pids = await others();
      if (pids.length === 0) break;
      if (Date.now() - lastSent >= resendMs) {
        signalAll(pids, "SIGTERM");
        lastSent = Date.now();
      }
      await sleep(pollMs);
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const pids = await others();
    if (pids.length === 0) break;
    signalAll(pids, "SIGKILL");
    await sleep(pollMs);
  }
  await context.depot.updateRecord(handle, (record) => {
    record.stopped = true;
  });
  logger.info("stop finished");
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
