import { mkdir, statfs } from "node:fs/promises";
import { totalmem } from "node:os";
import { hostCgroupLayout } from "./cgroups/host";
import { type GardenConfig, resolveConfig } from "./config";
import { ContainerHandle } from "./container/container-handle";
import { createContainer } from "./container/create-container";
import { destroyContainer } from "./container/destroy-container";
import type { GardenContext } from "./context";
import { Depot } from "./depot/depot";
import { ContainerNotFound } from "./errors";
import type { Container, Garden } from "./garden-api";
import { GraceReaper } from "./grace-reaper";
import { KeyedMutex } from "./keyed-mutex";
import { ensureHelperBinaries } from "./monitor/build";
import { OciRuntime } from "./runtime/oci-runtime";
import type { Networker, Volumizer } from "./seams";
import type { Capacity, ContainerInfo, ContainerMetrics, ContainerSpec } from "./types";
import { UsageTracker } from "./usage-tracker";
import { readSubordinateIds, warnOfSharedIds } from "./userns/subordinate-ids";

export interface GardenSeams {
  volumizer: Volumizer;
  /** optional: without one, containers get a fresh network namespace with loopback only */
  networker?: Networker;
}

/**
 * The Garden runtime on an OCI runtime (runc). Rebuilds its view from the depot and the runtime's
 * state, so a new instance on the same depot re-attaches to everything still running.
 *
 * @example
 * const garden = await createGarden(
 *   { depotDir: "/var/lib/grove/depot", runtimeRoot: "/run/grove/runc", cgroupParent: "grove" },
 *   { volumizer: createImages({ storeDir: "/var/lib/grove/images" }) },
 * );
 * const container = await garden.create({ handle: "web-0" });
 * const process = await container.run({ path: "echo", args: ["hi"] });
 * await process.wait(); // 0
 */
export async function createGarden(config: GardenConfig, seams: GardenSeams): Promise<Garden> {
  const resolved = resolveConfig(config);
  const logger = resolved.logger.child({ component: "garden" });
  warnOfSharedIds(resolved.uidMapping, await readSubordinateIds(), logger);
  await mkdir(resolved.runtimeRoot, { recursive: true });
  const depot = new Depot(resolved.depotDir);
  await depot.init();
  const binaries = await ensureHelperBinaries(resolved.binDir);
  const context: GardenContext = {
    config: resolved,
    depot,
    runtime: new OciRuntime(
      resolved.runtimePath,
      resolved.runtimeRoot,
      logger.child({ component: "garden.runtime" }),
    ),
    volumizer: seams.volumizer,
    networker: seams.networker,
    monitorBinary: binaries.monitor,
    initBinary: binaries.init,
    filesBinary: binaries.files,
    cgroups: await hostCgroupLayout(),
    usage: new UsageTracker(),
    locks: new KeyedMutex(),
    logger,
  };
  if (seams.networker) await seams.networker.restore();
  await reconcile(context);
  const garden = new RuncGarden(context);
  garden.startReaper();
  return garden;
}

class RuncGarden implements Garden {
  private readonly reaper: GraceReaper;

  constructor(private readonly context: GardenContext) {
    this.reaper = new GraceReaper(context, (handle) => this.destroy(handle));
  }

  startReaper(): void {
    this.reaper.start();
  }

  async ping(): Promise<void> {
    await this.context.depot.handles();
  }

  async capacity(): Promise<Capacity> {
    const disk = await statfs(this.context.config.depotDir);
    const diskInBytes = disk.blocks * disk.bsize;
    return {
      memoryInBytes: totalmem(),
      diskInBytes,
      schedulableDiskInBytes: diskInBytes,
      maxContainers: this.context.config.maxContainers,
    };
  }

  async create(spec: ContainerSpec): Promise<Container> {
    const handle = spec.handle;
    const work = async () =>
      new ContainerHandle((await createContainer(this.context, spec)).handle, this.context);
    return handle ? this.context.locks.run(handle, work) : work();
  }

  async destroy(handle: string): Promise<void> {
    await this.context.locks.run(handle, async () => {
      if (!(await this.context.depot.readRecord(handle))) throw new ContainerNotFound(handle);
      await destroyContainer(this.context, handle);
    });
  }

  async containers(
    filter: Record<string, string> = {},
    opts: { includeIncomplete?: boolean } = {},
  ): Promise<Container[]> {
    const result: Container[] = [];
    for (const handle of await this.context.depot.handles()) {
      const record = await this.context.depot.readRecord(handle);
      if (!record || (record.phase !== "created" && !opts.includeIncomplete)) continue;
      const properties = await this.context.depot.readProperties(handle);
      if (Object.entries(filter).every(([key, value]) => properties[key] === value)) {
        result.push(new ContainerHandle(handle, this.context));
      }
    }
    return result;
  }

  async lookup(handle: string): Promise<Container> {
    const record = await this.context.depot.readRecord(handle);
    if (!record) throw new ContainerNotFound(handle);
    this.context.usage.touch(handle);
    return new ContainerHandle(handle, this.context);
  }

  async bulkInfo(handles: string[]): Promise<Record<string, { info?: ContainerInfo; error?: Error }>> {
    const result: Record<string, { info?: ContainerInfo; error?: Error }> = {};
    await Promise.all(
      handles.map(async (handle) => {
        try {
          result[handle] = { info: await (await this.lookup(handle)).info() };
        } catch (error) {
          result[handle] = { error: error as Error };
        }
      }),
    );
    return result;
  }

  async bulkMetrics(
    handles: string[],
  ): Promise<Record<string, { metrics?: ContainerMetrics; error?: Error }>> {
    const result: Record<string, { metrics?: ContainerMetrics; error?: Error }> = {};
    await Promise.all(
      handles.map(async (handle) => {
        try {
          result[handle] = { metrics: await (await this.lookup(handle)).metrics() };
        } catch (error) {
          result[handle] = { error: error as Error };
        }
      }),
    );
    return result;
  }

  async close(): Promise<void> {
    await this.reaper.stop();
  }
}

/**
 * After a restart: the depot says what exists, the runtime says what runs. Nothing is started or
 * stopped here; mismatches are logged (a container the runtime lost reports "stopped" in Info,
 * a runtime container without a depot entry is someone else's or a leftover to destroy).
 */
async function reconcile(context: GardenContext): Promise<void> {
  const { depot, runtime, logger } = context;
  const handles = await depot.handles();
  const running = new Set(await runtime.list());
  for (const handle of handles) {
    context.usage.touch(handle);
    const record = await depot.readRecord(handle);
    if (record?.phase === "created" && !running.has(handle)) {
      logger.warn({ handle }, "container in the depot is unknown to the runtime");
    }
  }
  const known = new Set(handles);
  const strays = [...running].filter((id) => !known.has(id) && !id.includes("-pea-"));
  if (strays.length > 0) logger.warn({ ids: strays }, "runtime containers without a depot entry");
  logger.info({ containers: handles.length }, "garden restored from depot");
}
