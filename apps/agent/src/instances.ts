import type { Readable } from "node:stream";
import type {
  BindMount,
  Container,
  ContainerSpec,
  Garden,
  ImageRef,
  Process,
  ProcessSpec,
} from "@grove/garden";
import type {
  ImagePullProgress,
  InstanceDetail,
  InstanceState,
  PortMapping,
  RefusedStart,
  RegistryCredentials,
  SealedCredentials,
  StartInstance,
  StopInstance,
} from "@grove/protocol";
import type { Logger } from "pino";
import type { BitsCache } from "./bits-cache";
import { APP_DIR } from "./bits-cache";
import { cpuSharesFor } from "./cpu-shares";
import { probe, waitHealthy } from "./health-check";
import type { InstanceEventPublisher } from "./instance-events";
import { LogRateLimiter } from "./log-rate-limit";
import type { LogGate, LogSource } from "./log-shipper";
import { Slots } from "./slots";

const MiB = 1024 * 1024;
/** Property marking containers this agent owns, so adoption after a restart finds them. */
export const OWNER_PROPERTY = "grove.owner";
/**
 * An instance's output is read for shipping at most every 25 ms while it keeps coming, so an app
 * that logs a line per request costs the agent one read per batch rather than one per line.
 */
const shippedOutput = { coalesceMs: 25 };
const SPEC_PROPERTY = "grove.spec";
const PROCESS_PROPERTY = "grove.process";
const STATE_PROPERTY = "grove.state";
/** containers made at once on a cell (the rest wait): a burst of starts leaves cores to teardowns */
const STARTS_AT_ONCE = 3;
/** containers torn down at once, in a lane of their own that starts never hold up */
const TEARDOWNS_AT_ONCE = 3;

/** A start that a stop of its instance overtook: it gives up, and the stop reports STOPPED. */
class StoppedWhileStarting extends Error {}

interface Instance {
  spec: StartInstance;
  state: InstanceState;
  since: string;
  container?: Container;
  process?: Process;
  containerIP?: string;
  ports: PortMapping[];
  exitCode?: number;
  reason?: string;
  stopping: boolean;
  /** the start under way (never rejects), which a stop waits for before it kills and tears down */
  starting?: Promise<unknown>;
  /** how far the pull of its image is, while its cell pulls it */
  pull?: ImagePullProgress;
}

export interface InstanceManagerDeps {
  garden: Garden;
  bits: BitsCache;
  events: InstanceEventPublisher;
  /** the address the router and other cells reach mapped ports on (reported in instance details) */
  cellAddress: string;
  /** read-only layers a stack adds on the busybox base (e.g. the node runtime); unknown stack → throws */
  stackLayers(stack: string): Promise<string[]>;
  /** fetches an image into the cell's store ahead of its container, telling bytes of the total */
  pullImage?(image: ImageRef, onProgress: (progress: ImagePullProgress) => void): Promise<void>;
  /** opens the registry credentials a start command carried sealed for this cell */
  openCredentials(sealed: SealedCredentials): RegistryCredentials;
  /**
   * ships a stream of the instance's output, skipping `skipBytes` and dropping what `gate` refuses;
   * returns a getter of bytes read
   */
  shipLogs(
    source: LogSource,
    stream: "stdout" | "stderr",
    readable: Readable,
    skipBytes: number,
    gate?: LogGate,
  ): () => number;
  /** puts a line of the agent's own into the instance's logs (the log-rate limit's notice) */
  logNotice(source: LogSource, line: string): void;
  /** containers made at once (default 3) and torn down at once (default 3), each in its own lane */
  startsAtOnce?: number;
  teardownsAtOnce?: number;
  /** makes (first time) or mounts a volume and answers the directory to bind-mount */
  volumes: { ensure(id: string, sizeMb: number): Promise<string> };
  log: Logger;
}

/** Thrown for a command that cannot be carried out; its message goes back in the command reply. */
export class CommandFailed extends Error {}

/**
 * The instances on this cell: starts and stops them through garden, health-checks them, reports
 * their state changes, and re-adopts them after an agent restart without touching them. Routes are
 * not the cell's business: the control plane registers them from the reported states.
 */
export class InstanceManager {
  readonly #instances = new Map<string, Instance>();
  readonly #logReaders = new Map<
    string,
    { stdout: () => number; stderr: () => number; limiter?: LogRateLimiter }
  >();
  /** starts and stops under way, which close() lets finish so no container is left half made */
  readonly #inFlight = new Set<Promise<unknown>>();
  /**
   * Instances stopped (STOPPED already reported: their processes are dead) whose containers are
   * still being torn down; they count in used() and mounting() until their container is gone.
   */
  readonly #tearingDown = new Map<string, { spec: StartInstance; done: Promise<void> }>();
  readonly #starts: Slots;
  readonly #teardowns: Slots;
  #closed = false;

  constructor(private readonly deps: InstanceManagerDeps) {
    this.#starts = new Slots(deps.startsAtOnce ?? STARTS_AT_ONCE);
    this.#teardowns = new Slots(deps.teardownsAtOnce ?? TEARDOWNS_AT_ONCE);
  }

  /** Starts waiting for a slot and teardowns waiting for theirs (metrics). */
  queued(): { starts: number; teardowns: number } {
    return { starts: this.#starts.waiting, teardowns: this.#teardowns.waiting };
  }

  /**
   * Starts an instance and waits for its process (or its failure); a repeat of a start that is
   * already running or starting is a no-op (true).
   */
  start(spec: StartInstance): Promise<{ duplicate: boolean }> {
    return this.#underWay(async () => {
      const begun = this.#begin(spec);
      return begun.duplicate ? begun : await begun.done;
    });
  }

  /**
   * Takes a batch of starts at once (a `start-instances` command): each is refused with why (the
   * agent is stopping, or the instance runs another revision), a repeat (nothing to do), or under
   * way without being waited for — its instance events tell how it goes (STARTING now, then
   * RUNNING or CRASHED).
   */
  startMany(specs: readonly StartInstance[]): { refused: RefusedStart[] } {
    const refused: RefusedStart[] = [];
    for (const spec of specs) {
      try {
        if (this.#closed) throw new CommandFailed("the agent is stopping");
        const begun = this.#begin(spec);
        if (begun.duplicate) continue;
        const done = begun.done.catch(() => {});
        this.#inFlight.add(done);
        void done.finally(() => this.#inFlight.delete(done));
      } catch (error) {
        refused.push({ instanceId: spec.instanceId, error: (error as Error).message.slice(0, 1024) });
      }
    }
    return { refused };
  }

  /** Stops an instance (TERM, then KILL after graceMs) and removes its container; unknown is a no-op. */
  stop(command: StopInstance): Promise<{ duplicate: boolean }> {
    return this.#underWay(() => this.#stop(command));
  }

  async #underWay<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new CommandFailed("the agent is stopping");
    const running = work();
    this.#inFlight.add(running);
    try {
      return await running;
    } finally {
      this.#inFlight.delete(running);
    }
  }

  /**
   * Takes a start: a repeat of one starting or running is a duplicate; one of another revision is
   * refused (throws `CommandFailed`); else the instance is STARTING at once and `done` settles once
   * its process runs (or rejects with `CommandFailed` once it crashed on the way).
   */
  #begin(
    spec: StartInstance,
  ): { duplicate: true } | { duplicate: false; done: Promise<{ duplicate: boolean }> } {
    const existing = this.#instances.get(spec.instanceId);
    if (existing && (existing.state === "STARTING" || existing.state === "RUNNING")) {
      if (existing.spec.revision === spec.revision) return { duplicate: true };
      throw new CommandFailed(
        `instance ${spec.instanceId} already runs revision ${existing.spec.revision}; stop it first`,
      );
    }
    const instance: Instance = { spec, state: "STARTING", since: now(), ports: [], stopping: false };
    this.#instances.set(spec.instanceId, instance);
    this.#emit(instance, { state: "STARTING" });
    const log = this.deps.log.child({ instanceId: spec.instanceId, appId: spec.appId });
    const made = this.#make(instance, log);
    instance.starting = made.catch(() => {});
    const done = async () => {
      try {
        await made;
        if (!instance.stopping) this.#watch(instance, 0);
        return { duplicate: false };
      } catch (error) {
        // the stop that overtook it reports the instance STOPPED: it was not a crash
        if (instance.stopping) {
          log.info({ reason: (error as Error).message }, "start given up for a stop");
          return { duplicate: false };
        }
        log.warn({ err: error }, "instance failed to start");
        await this.#crashed(instance, undefined, `start-failed: ${(error as Error).message}`.slice(0, 1024));
        throw new CommandFailed(`start of ${spec.instanceId} failed: ${(error as Error).message}`);
      } finally {
        delete instance.starting;
      }
    };
    return { duplicate: false, done: done() };
  }

  /**
   * Fetches the instance's rootfs, then (in a start slot) makes its container and runs its
   * process. A stop that arrives meanwhile makes it give up at the next step, so a container is
   * never made for an instance already stopped (its stop waits for this to settle).
   */
  async #make(instance: Instance, log: Logger): Promise<void> {
    const { spec } = instance;
    const unlessStopping = () => {
      if (instance.stopping) throw new StoppedWhileStarting(`instance ${spec.instanceId} was stopped`);
    };
    const rootfs = await this.#rootfs(instance);
    unlessStopping();
    await this.#starts.run(async () => {
      unlessStopping();
      // a container of the same handle still being torn down goes first
      await this.#tearingDown.get(spec.instanceId)?.done;
      await this.deps.garden.destroy(spec.instanceId).catch(() => {});
      const bindMounts = await this.#volumeMounts(spec);
      const container = await this.deps.garden.create({
        handle: spec.instanceId,
        ...rootfs,
        properties: {
          [OWNER_PROPERTY]: "agent",
          // kept for adoption after a restart, without registry credentials (container properties
          // are readable through Garden)
          [SPEC_PROPERTY]: JSON.stringify(withoutCredentials(spec)),
          "grove.app": spec.appId,
          "grove.tenant": spec.tenantId,
          "grove.revision": String(spec.revision),
          "grove.index": String(spec.index),
        },
        limits: {
          memory: { limitInBytes: spec.memoryMb * MiB },
          cpu: { weight: cpuSharesFor(spec.memoryMb) },
          // the app's disk quota counts what the instance writes, not its stack or image
          disk: { byteHard: spec.diskMb * MiB, scope: "exclusive" },
          pid: { max: 1024 },
        },
        netIn: spec.ports.map((port) => ({ hostPort: 0, containerPort: port })),
        bindMounts,
      });
      instance.container = container;
      unlessStopping();
      const info = await container.info();
      instance.containerIP = info.containerIP;
      instance.ports = info.mappedPorts.map((m) => ({
        containerPort: m.containerPort,
        hostPort: m.hostPort,
      }));
      unlessStopping();
      const process = await container.run(startProcess(spec));
      instance.process = process;
      await container.setProperty(PROCESS_PROPERTY, process.id);
      log.info({ processId: process.id, containerIP: info.containerIP }, "instance started");
    });
  }

  /** A docker app's image (pulled by digest, every blob verified), or the stack with the app's bits. */
  async #rootfs(instance: Instance): Promise<Pick<ContainerSpec, "image" | "layers">> {
    const { spec } = instance;
    if (spec.image) {
      const { uri, credentials } = spec.image;
      const image = { uri, ...(credentials ? this.deps.openCredentials(credentials) : {}) };
      // pulled first so heartbeats can tell how far it is; the create then finds it in the store
      if (this.deps.pullImage) {
        instance.pull = { bytes: 0, total: 0 };
        try {
          await this.deps.pullImage(image, (progress) => {
            instance.pull = progress;
          });
        } finally {
          delete instance.pull;
        }
      }
      return { image };
    }
    if (!spec.bitsDigest) throw new Error("the start command names neither bits nor an image");
    const layers = [
      ...(await this.deps.stackLayers(spec.stack)),
      await this.deps.bits.layer(spec.bitsDigest),
    ];
    return { image: { uri: "" }, layers };
  }

  /**
   * The bind mounts of an instance's volumes, each made or mounted on this cell first. A
   * single-writer volume another live instance here mounts is refused: one writer at a time.
   */
  async #volumeMounts(spec: StartInstance): Promise<BindMount[]> {
    const mounts: BindMount[] = [];
    for (const volume of spec.volumes) {
      if (!volume.shared) {
        const holder = this.mounting(volume.id).find((id) => id !== spec.instanceId);
        if (holder !== undefined)
          throw new Error(
            `volume ${volume.id} is single-writer and instance ${holder} on this cell mounts it`,
          );
      }
      const srcPath = await this.deps.volumes.ensure(volume.id, volume.sizeMb);
      mounts.push({ srcPath, dstPath: volume.path, mode: volume.readOnly ? "ro" : "rw", origin: "host" });
    }
    return mounts;
  }

  /** The instances on this cell holding a container that mounts volume `volumeId`. */
  mounting(volumeId: string): string[] {
    return [
      ...[...this.#instances.values()]
        .filter((i) => i.container !== undefined || i.state === "STARTING" || i.state === "RUNNING")
        .map((i) => i.spec),
      ...[...this.#tearingDown.values()].map((t) => t.spec),
    ]
      .filter((spec) => (spec.volumes ?? []).some((v) => v.id === volumeId))
      .map((spec) => spec.instanceId);
  }

  /**
   * Waits for a start under way to make its process or give up; TERM, KILL after the grace; then
   * reports STOPPED at once (the processes are dead: it serves nothing and uses no CPU; one with
   * volumes after its teardown) and tears the container down in the teardown lane, where starts
   * never hold it up.
   */
  async #stop(command: StopInstance): Promise<{ duplicate: boolean }> {
    const id = command.instanceId;
    const instance = this.#instances.get(id);
    if (!instance) {
      const under = this.#tearingDown.get(id);
      if (under) await under.done;
      else await this.#teardown(id);
      return { duplicate: true };
    }
    instance.stopping = true;
    await instance.starting;
    let exitCode: number | undefined;
    if (instance.process && (instance.state === "STARTING" || instance.state === "RUNNING")) {
      await instance.process.signal("terminate").catch(() => {});
      exitCode = await withTimeout(instance.process.wait(), command.graceMs);
      if (exitCode === undefined) {
        await instance.process.signal("kill").catch(() => {});
        exitCode = await withTimeout(instance.process.wait(), 5_000);
      }
    }
    if (this.#instances.get(id) !== instance) {
      // another stop of it got here first
      await this.#tearingDown.get(id)?.done;
      return { duplicate: true };
    }
    const done = this.#teardown(id);
    this.#tearingDown.set(id, { spec: instance.spec, done });
    this.#instances.delete(id);
    this.#logReaders.get(id)?.limiter?.close();
    this.#logReaders.delete(id);
    // an instance with volumes is reported once its container no longer mounts them: the control
    // plane moves, restores and removes volumes whose instances are STOPPED
    const holdsVolumes = instance.spec.volumes.length > 0;
    const report = () => {
      if (instance.state !== "CRASHED") this.#emit(instance, { state: "STOPPED", exitCode });
    };
    if (!holdsVolumes) report();
    try {
      await done;
    } finally {
      if (this.#tearingDown.get(id)?.done === done) this.#tearingDown.delete(id);
      if (holdsVolumes) report();
    }
    return { duplicate: false };
  }

  /** Destroys a container (a missing one is fine) in the teardown lane. */
  #teardown(handle: string): Promise<void> {
    return this.#teardowns.run(() => this.deps.garden.destroy(handle).catch(() => {}));
  }

  /** Finds the containers this agent made before a restart and watches them again, untouched. */
  async adopt(logOffsets: Record<string, { stdout: number; stderr: number }>): Promise<number> {
    const containers = await this.deps.garden.containers({ [OWNER_PROPERTY]: "agent" });
    for (const container of containers) {
      const properties = await container.properties();
      const spec = JSON.parse(properties[SPEC_PROPERTY] ?? "null") as StartInstance | null;
      const processId = properties[PROCESS_PROPERTY];
      if (!spec || !processId) {
        await this.deps.garden.destroy(container.handle).catch(() => {});
        continue;
      }
      const info = await container.info();
      const wasRunning = properties[STATE_PROPERTY] === "RUNNING";
      const instance: Instance = {
        spec,
        state: wasRunning ? "RUNNING" : "STARTING",
        since: properties["grove.since"] ?? now(),
        container,
        containerIP: info.containerIP,
        ports: info.mappedPorts.map((m) => ({ containerPort: m.containerPort, hostPort: m.hostPort })),
        stopping: false,
      };
      try {
        instance.process = await container.attach(processId);
      } catch {
        await this.#crashed(instance, undefined, "exited");
        continue;
      }
      this.#instances.set(spec.instanceId, instance);
      const offsets = logOffsets[spec.instanceId] ?? { stdout: 0, stderr: 0 };
      this.#watch(instance, offsets.stdout, offsets.stderr);
    }
    return containers.length;
  }

  /**
   * The container and spec of a running (or starting) instance, for `grove exec`; undefined when
   * the instance is not on this cell or has no live container.
   */
  execTarget(instanceId: string): { container: Container; spec: StartInstance } | undefined {
    const instance = this.#instances.get(instanceId);
    if (!instance?.container || (instance.state !== "RUNNING" && instance.state !== "STARTING"))
      return undefined;
    return { container: instance.container, spec: instance.spec };
  }

  /** The tenant of the instance whose container holds `containerIP` (starting or running), if any. */
  tenantOf(containerIP: string): string | undefined {
    for (const i of this.#instances.values()) {
      if (i.containerIP === containerIP && (i.state === "RUNNING" || i.state === "STARTING"))
        return i.spec.tenantId;
    }
    return undefined;
  }

  /** What heartbeats and the state sync report. */
  /** How far the pull of the instance's image is, while its cell pulls it. */
  pullOf(instanceId: string): ImagePullProgress | undefined {
    return this.#instances.get(instanceId)?.pull;
  }

  details(): InstanceDetail[] {
    return [...this.#instances.values()].map((i) => ({
      instanceId: i.spec.instanceId,
      appId: i.spec.appId,
      revision: i.spec.revision,
      index: i.spec.index,
      state: i.state,
      containerHandle: i.spec.instanceId,
      bitsDigest: i.spec.bitsDigest,
      address: this.deps.cellAddress,
      ports: i.ports,
      containerIP: i.containerIP,
      since: i.since,
      exitCode: i.exitCode,
      reason: i.reason,
    }));
  }

  /** Memory, disk and container slots taken by instances that hold a container. */
  used(): { memoryMb: number; diskMb: number; containers: number } {
    let memoryMb = 0;
    let diskMb = 0;
    let containers = 0;
    for (const i of this.#instances.values()) {
      if (i.state !== "STARTING" && i.state !== "RUNNING") continue;
      memoryMb += i.spec.memoryMb;
      diskMb += i.spec.diskMb;
      containers += 1;
    }
    for (const { spec } of this.#tearingDown.values()) {
      memoryMb += spec.memoryMb;
      diskMb += spec.diskMb;
      containers += 1;
    }
    return { memoryMb, diskMb, containers };
  }

  /** Log lines the instance's log-rate limit dropped (undefined when it has no limit). */
  logLinesDropped(instanceId: string): number | undefined {
    return this.#logReaders.get(instanceId)?.limiter?.dropped;
  }

  /** Bytes of output shipped per instance, persisted by the agent so a restart does not resend them. */
  logOffsets(): Record<string, { stdout: number; stderr: number }> {
    const offsets: Record<string, { stdout: number; stderr: number }> = {};
    for (const [id, readers] of this.#logReaders)
      offsets[id] = { stdout: readers.stdout(), stderr: readers.stderr() };
    return offsets;
  }

  /**
   * Takes no more commands and waits (at most `timeoutMs`) for the starts and stops under way, so
   * whoever stops the agent finds every container it made complete in garden's depot — an agent
   * that exited halfway through a create would leave it to garden's recovery instead.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.#closed = true;
    await withTimeout(Promise.allSettled([...this.#inFlight]), timeoutMs);
  }

  #watch(instance: Instance, stdoutSkip: number, stderrSkip = 0): void {
    const process = instance.process as Process;
    const source = {
      tenantId: instance.spec.tenantId,
      appId: instance.spec.appId,
      instanceId: instance.spec.instanceId,
      index: instance.spec.index,
    };
    const limit = instance.spec.logLinesPerSecond;
    const limiter =
      limit === undefined
        ? undefined
        : new LogRateLimiter(limit, (line) => this.deps.logNotice(source, line));
    this.#logReaders.set(source.instanceId, {
      stdout: this.deps.shipLogs(source, "stdout", process.stdout(shippedOutput), stdoutSkip, limiter),
      stderr: this.deps.shipLogs(source, "stderr", process.stderr(shippedOutput), stderrSkip, limiter),
      limiter,
    });
    const exited = process.wait();
    // a monitor gone without an exit status (it could not write one on a full disk) ended too
    const ended = async (code: number | undefined) => {
      if (instance.stopping || this.#closed) return;
      const info = await instance.container?.info().catch(() => undefined);
      await this.#crashed(instance, code, info?.events.includes("oom") ? "oom" : "exited");
    };
    void exited.then(ended, () => ended(undefined));
    void this.#checkHealth(instance, exited);
  }

  async #checkHealth(instance: Instance, exited: Promise<number>): Promise<void> {
    const check = instance.spec.healthCheck;
    const address = instance.containerIP ?? "127.0.0.1";
    const port = instance.spec.ports[0];
    let gone = false;
    // both ways: a rejection left unhandled here would end the agent
    const done = () => {
      gone = true;
    };
    void exited.then(done, done);
    const over = () => gone || instance.stopping || this.#closed;
    if (instance.state === "STARTING") {
      const healthy = await waitHealthy(check, address, port, over);
      if (over()) return;
      if (!healthy) {
        await this.#fail(instance, "health-check-failed");
        return;
      }
      instance.state = "RUNNING";
      instance.since = now();
      await instance.container?.setProperty(STATE_PROPERTY, "RUNNING").catch(() => {});
      await instance.container?.setProperty("grove.since", instance.since).catch(() => {});
      this.#emit(instance, {
        state: "RUNNING",
        address: this.deps.cellAddress,
        ports: instance.ports,
        containerIP: instance.containerIP,
      });
    }
    while (!over()) {
      await new Promise((resolve) => setTimeout(resolve, check.intervalMs));
      if (over()) return;
      if (!(await probe(check, address, port)) && !over()) {
        await this.#fail(instance, "health-check-failed");
        return;
      }
    }
  }

  async #fail(instance: Instance, reason: string): Promise<void> {
    instance.stopping = true;
    await instance.process?.signal("kill").catch(() => {});
    await this.#crashed(instance, undefined, reason);
  }

  async #crashed(instance: Instance, exitCode: number | undefined, reason: string): Promise<void> {
    if (instance.state === "CRASHED") return;
    instance.state = "CRASHED";
    instance.since = now();
    instance.exitCode = exitCode;
    instance.reason = reason;
    this.deps.log.warn({ instanceId: instance.spec.instanceId, exitCode, reason }, "instance crashed");
    this.#emit(instance, { state: "CRASHED", exitCode, reason });
    await this.#teardown(instance.spec.instanceId);
    instance.container = undefined;
  }

  #emit(
    instance: Instance,
    change:
      | { state: "STARTING" }
      | { state: "RUNNING"; address: string; ports: PortMapping[]; containerIP?: string }
      | { state: "CRASHED"; exitCode?: number; reason: string }
      | { state: "STOPPED"; exitCode?: number },
  ): void {
    const { instanceId, appId, revision, index } = instance.spec;
    this.deps.events.publish({ instanceId, appId, revision, index, ...change });
  }
}

/**
 * The start process: a docker app runs its image's Entrypoint+Cmd (or its command through
 * /bin/sh) as the image's user in the image's working directory; other apps run their command as
 * vcap in the app directory.
 */
export function startProcess(spec: StartInstance): ProcessSpec {
  const env = instanceEnv(spec);
  if (!spec.image) return { path: "/bin/sh", args: ["-c", spec.command], dir: APP_DIR, user: "vcap", env };
  const [path, ...args] = spec.image.args ?? ["/bin/sh", "-c", spec.command];
  return {
    path: path as string,
    args,
    dir: spec.image.dir ?? "/",
    ...(spec.image.user ? { user: spec.image.user } : {}),
    env,
  };
}

/** Where and as whom an instance's processes run (`grove exec` too). */
export function execPlace(spec: StartInstance): { dir: string; user?: string } {
  const { dir, user } = startProcess(spec);
  return { dir: dir ?? "/", ...(user ? { user } : {}) };
}

function withoutCredentials(spec: StartInstance): StartInstance {
  if (!spec.image) return spec;
  const { credentials: _c, ...image } = spec.image;
  return { ...spec, image };
}

/** The environment of an instance's processes: its start command's, and those `grove exec` runs. */
export function instanceEnv(spec: StartInstance): string[] {
  return [
    // a docker app's HOME comes from its user's passwd entry (or the image's Env)
    ...(spec.image ? [] : ["HOME=/home/vcap"]),
    `PORT=${spec.ports[0] ?? 8080}`,
    `INSTANCE_INDEX=${spec.index}`,
    `INSTANCE_GUID=${spec.instanceId}`,
    ...Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
  ];
}

function now(): string {
  return new Date().toISOString();
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
