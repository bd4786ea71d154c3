import { setTimeout as sleep } from "node:timers/promises";
import { cgroupOf, type GardenContext } from "../context";
import { monitorAlive, readExitCode } from "../process/process-handle";
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
  await deleteRuntimeContainer(context, handle);
  // The monitors notice their processes died and record exit codes; let them finish writing
  // before the directories they write into disappear.
  await waitForExitCodes([...processes.map((process) => process.dir), context.depot.initDir(handle)]);
  await cgroupOf(context, handle).remove();
  await context.volumizer.destroy(handle);
  await context.depot.remove(handle);
  context.usage.forget(handle);
  logger.info("destroy finished");
}

async function waitForExitCodes(dirs: string[]): Promise<void> {
  const deadline = Date.now() + monitorSettleMs;
  for (const dir of dirs) {
    while (Date.now() < deadline && (await readExitCode(dir)) === undefined && (await monitorAlive(dir))) {
      await sleep(20);
    }
  }
}

/**
 * SIGKILL to init (the kernel then kills everything else in the pid namespace), wait for its
 * monitor to reap it, then a plain delete; `delete --force` does the same but polls slowly.
 */
async function deleteRuntimeContainer(context: GardenContext, handle: string): Promise<void> {
  const log = context.depot.runtimeLog(handle);
  const state = await context.runtime.state(handle);
  if (!state) return;
  if (state.status !== "stopped") {
    await context.runtime.kill(handle, "KILL", log).catch(() => {});
    const initDir = context.depot.initDir(handle);
    const deadline = Date.now() + monitorSettleMs;
    while (
      Date.now() < deadline &&
      (await readExitCode(initDir)) === undefined &&
      (await monitorAlive(initDir))
    ) {
      await sleep(5);
    }
  }
  await context.runtime.delete(handle, log, false).catch(() => context.runtime.delete(handle, log, true));
}
