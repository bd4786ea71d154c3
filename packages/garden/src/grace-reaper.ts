import { isExpired, listProcesses, readProcessRecord, removeProcessDir } from "./container/process-record";
import { removePea } from "./container/run-process";
import type { GardenContext } from "./context";

/**
 * Destroys containers unused for longer than their grace time, and forgets finished processes
 * after the retention period (removing a finished pea's runtime container and rootfs).
 */
export class GraceReaper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: GardenContext,
    private readonly destroy: (handle: string) => Promise<void>,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running = this.running
        .then(() => this.sweep())
        .catch((error: Error) => {
          this.context.logger.warn({ error: error.message }, "reaper sweep failed");
        });
    }, this.context.config.reapIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(): Promise<void> {
    const { depot, config, usage, logger } = this.context;
    for (const handle of await depot.handles()) {
      const record = await depot.readRecord(handle);
      if (record?.phase !== "created") continue;
      const graceNs = record.graceTimeNs ?? config.defaultGraceTimeNs;
      if (graceNs > 0 && usage.expired(handle, graceNs / 1e6)) {
        logger.info({ handle, graceNs }, "grace time expired, destroying");
        await this.destroy(handle).catch((error: Error) =>
          logger.warn({ handle, error: error.message }, "destroying an expired container failed"),
        );
        continue;
      }
      await this.sweepProcesses(handle);
    }
  }

  private async sweepProcesses(handle: string): Promise<void> {
    for (const process of await listProcesses(this.context.depot.processesDir(handle))) {
      if (process.exitedAtMs === undefined) continue;
      const record = await readProcessRecord(process.dir);
      if (record?.kind === "pea") await removePea(this.context, handle, process.id);
      if (isExpired(process.exitedAtMs, this.context.config.processRetentionMs))
        await removeProcessDir(process.dir);
    }
  }
}
