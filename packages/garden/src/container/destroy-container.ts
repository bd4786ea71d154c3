import { cgroupOf, type GardenContext } from "../context";
import { monitorAlive, readExitCode, readPid, waitForExitCode } from "../process/process-handle";
import { listProcesses, readProcessRecord } from "./process-record";
import { removePea } from "./run-process";

const monitorSettleMs = 3_000;

/**
 * Removes everything made for a container: peas, the runtime container (which kills every process
 * in it), cgroups, rootfs, network, depot entry. Each step tolerates a part already being gone,
 * so destroy can be repeated after a crash halfway through.
 */
export async function destroyContainer(context: GardenContext, handle: string): Promise<void> {
  const logger = context.logger.child({ handle });
  logger.info("destroy starting");
  const processes = await listProcesses(context.depot.processesDir(handle));
  for (const process of processes) {
    const record = await readProcessRecord(process.dir);
    if (record?.kind === "pea") await removePea(context, handle, process.id);
  }
  // Down first: the networker unwires the namespace while the container still holds it.
  if (context.networker) await context.networker.down(handle);
  await killInit(context, handle);
  // Every process of the container is gone once its init is (the kernel empties the pid
  // namespace first), so the runtime's bookkeeping and the rootfs can go at the same time. The
  // monitors notice their processes died and record exit codes; let them finish writing before
  // the directories they write into disappear.
  await Promise.all([
    deleteRuntimeContainer(context, handle),
    context.volumizer.destroy(handle),
    waitForExitCodes(processes.map((process) => process.dir)),
  ]);
  await cgroupOf(context, handle).remove();
  await context.depot.remove(handle);
  context.usage.forget(handle);
  logger.info("destroy finished");
}

async function waitForExitCodes(dirs: string[]): Promise<void> {
  const deadline = Date.now() + monitorSettleMs;
  for (const dir of dirs) await waitForExitCode(dir, Math.max(0, deadline - Date.now()));
}

/**
 * SIGKILL to init (the kernel then kills everything else in the pid namespace) and wait for its
 * monitor to reap it: quicker than the runtime's `kill` + `delete --force`, which polls. The init's
 * pid cannot be reused before its monitor reaped it, which is what the exit code marks.
 */
async function killInit(context: GardenContext, handle: string): Promise<void> {
  const initDir = context.depot.initDir(handle);
  const initPid = await readPid(initDir);
  if (initPid === undefined || (await readExitCode(initDir)) !== undefined || !(await monitorAlive(initDir)))
    return;
  try {
    process.kill(initPid, "SIGKILL");
  } catch {
    // Already gone.
  }
  await waitForExitCode(initDir, monitorSettleMs);
}

/** A plain delete of the stopped container; a forced one if it still runs; nothing if never made. */
async function deleteRuntimeContainer(context: GardenContext, handle: string): Promise<void> {
  const log = context.depot.runtimeLog(handle);
  try {
    await context.runtime.delete(handle, log, false);
  } catch (error) {
    if (!(await context.runtime.state(handle))) return;
    await context.runtime.delete(handle, log, true).catch(() => {
      throw error;
    });
  }
}
