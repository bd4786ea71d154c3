import { randomUUID } from "node:crypto";
import { lstat, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { containerSpec } from "../bundle/container-spec";
import { processSpec } from "../bundle/process-spec";
import { type GardenContext, peaCgroupsPathOf, peaContainerId } from "../context";
import type { ContainerRecord } from "../depot/depot";
import { writeJson } from "../depot/depot";
import { InvalidSpec } from "../errors";
import { initRequest } from "../process/init-request";
import { launchUnderMonitor } from "../process/launch";
import { ProcessHandle, readPid } from "../process/process-handle";
import { type ResolvedUser, resolveUser } from "../process/users";
import type { BindMount, ProcessSpec } from "../types";
import { type ProcessRecord, readProcessRecord, removeProcessDir } from "./process-record";
import { writeResolvConf } from "./resolv-conf";
import { resolveBindMounts } from "./resolve-bind-mounts";
import { resolveInRoot } from "./resolve-in-root";

const defaultWindowSize = { columns: 80, rows: 24 };
const processIdPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * Starts a process in the container: the container's grove-init runs it, under a monitor; or —
 * when the spec names an image — a pea: its own runtime container and rootfs, sharing the
 * container's namespaces.
 */
export async function runProcess(
  context: GardenContext,
  record: ContainerRecord,
  requested: ProcessSpec,
): Promise<ProcessHandle> {
  // A TTY without a window size gets Guardian's default, not a 0x0 terminal.
  const spec =
    requested.tty && !requested.tty.windowSize
      ? { ...requested, tty: { ...requested.tty, windowSize: defaultWindowSize } }
      : requested;
  const id = spec.id || randomUUID();
  if (!processIdPattern.test(id)) throw new InvalidSpec(`invalid process id "${id}"`, { processId: id });
  if (!spec.path) throw new InvalidSpec("process path is required", { handle: record.handle });
  if (spec.bindMounts?.length && !spec.image?.uri) {
    // runc exec joins the container's mount namespace as it is: nothing could be mounted
    throw new InvalidSpec(
      "bind mounts are refused on a process; only a pea (a process with an image) has them",
      {
        handle: record.handle,
        processId: id,
      },
    );
  }
  const dir = context.depot.processDir(record.handle, id);
  try {
    await mkdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new InvalidSpec(`process ID '${id}' already in use`, { handle: record.handle, processId: id });
    }
    throw error;
  }
  const isPea = Boolean(spec.image?.uri);
  const processRecord: ProcessRecord = {
    id,
    kind: isPea ? "pea" : "exec",
    tty: !!spec.tty,
    createdAtMs: Date.now(),
  };
  const logger = context.logger.child({ handle: record.handle, processId: id, kind: processRecord.kind });
  try {
    await writeJson(join(dir, "process-record.json"), processRecord);
    // read by grove-monitor at start
    if (spec.holdOutput) await writeFile(join(dir, "hold-output"), "");
    if (isPea) await startPea(context, record, spec, id, dir);
    else await startExec(context, record, spec, dir);
    logger.info({ path: spec.path }, "process started");
  } catch (error) {
    logger.info({ error: (error as Error).message }, "process failed to start");
    if (isPea) await removePea(context, record.handle, id);
    await removeProcessDir(dir);
    throw error;
  }
  return processHandle(context, record.handle, id, processRecord);
}

/** A handle on an existing process directory; a pea's runtime container is removed once it exited. */
export function processHandle(
  context: GardenContext,
  handle: string,
  id: string,
  record: ProcessRecord | undefined,
): ProcessHandle {
  const dir = context.depot.processDir(handle, id);
  return new ProcessHandle(id, dir, {
    touch: () => context.usage.touch(handle),
    exited: record?.kind === "pea" ? () => removePea(context, handle, id) : undefined,
  });
}

export async function attachProcess(context: GardenContext, handle: string, id: string) {
  const record = await readProcessRecord(context.depot.processDir(handle, id));
  return record ? processHandle(context, handle, id, record) : undefined;
}

async function startExec(context: GardenContext, record: ContainerRecord, spec: ProcessSpec, dir: string) {
  const user = await homeOrRoot(
    record.rootfsPath as string,
    await resolveUser(record.rootfsPath as string, spec.user),
  );
  const process = processSpec(spec, {
    user,
    containerEnv: record.spec.env ?? [],
    privileged: record.privileged,
  });
  await writeFile(join(dir, "request"), initRequest(process));
  await launchUnderMonitor({
    monitorBinary: context.monitorBinary,
    outputCapBytes: context.config.outputCapBytes,
    dir,
    start: { initDir: context.depot.initDir(record.handle), requestFile: "request" },
    tty: spec.tty ? (spec.tty.windowSize ?? true) : undefined,
    operation: "init exec",
    binary: spec.path,
  });
}

async function startPea(
  context: GardenContext,
  record: ContainerRecord,
  spec: ProcessSpec,
  id: string,
  dir: string,
) {
  const peaId = peaContainerId(record.handle, id);
  const initPid = await readPid(context.depot.initDir(record.handle));
  if (initPid === undefined)
    throw new InvalidSpec("container has no init process", { handle: record.handle });
  const uidMapping = record.privileged ? null : context.config.uidMapping;
  const rootfs = await context.volumizer.create({
    handle: peaId,
    image: spec.image ?? { uri: "" },
    uidMapping,
  });
  // the pea's own image names its user (config User, else root) and /etc/passwd
  const user = await homeOrRoot(rootfs.path, await resolveUser(rootfs.path, spec.user || rootfs.user));
  const ns = (name: string) => `/proc/${initPid}/ns/${name}`;
  const containerRootfs = record.rootfsPath as string;
  // (re)written: a container made before the garden had nameservers has none yet
  const resolvConfFile = await writeResolvConf(context.depot.dir(record.handle), context.config.dnsServers);
  const config = containerSpec({
    handle: peaId,
    rootfsPath: rootfs.path,
    uidMapping,
    cgroupsPath: peaCgroupsPathOf(context, record.handle, id),
    limits: spec.limits,
    // a "container" origin names a path in the container the pea belongs to
    bindMounts: [
      ...(await sharedResolvConf(containerRootfs)),
      ...(await resolveBindMounts(spec.bindMounts, context.config.bindMountSourceRoots, containerRootfs)),
    ],
    env: [],
    initBinary: context.initBinary,
    hostsFile: join(context.depot.dir(record.handle), "hosts"),
    ...(resolvConfFile ? { resolvConfFile } : {}),
    joinNamespaces: {
      network: ns("net"),
      pid: ns("pid"),
      ipc: ns("ipc"),
      uts: ns("uts"),
      ...(uidMapping ? { user: ns("user") } : {}),
    },
  });
  // as in Guardian, a pea starts in / unless told otherwise (not in its user's home)
  config.process = processSpec(
    { ...spec, dir: spec.dir || "/" },
    {
      user,
      containerEnv: [...(rootfs.env ?? []), ...(record.spec.env ?? [])],
      privileged: record.privileged,
    },
  );
  // The process directory is the bundle: the runtime then finds config.json and console.sock
  // relative to the monitor's working directory, whatever the depot path's length.
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  const runtimeArgv = context.runtime.argv(
    join(dir, "runtime.log"),
    "run",
    "--detach",
    "--pid-file",
    join(dir, "pid"),
    ...(spec.tty ? ["--console-socket", "console.sock"] : []),
    peaId,
  );
  await launchUnderMonitor({
    monitorBinary: context.monitorBinary,
    outputCapBytes: context.config.outputCapBytes,
    dir,
    start: { runtimeArgv, logPath: join(dir, "runtime.log") },
    tty: spec.tty ? (spec.tty.windowSize ?? true) : undefined,
    operation: "runtime run (pea)",
    binary: spec.path,
  });
}

/** The container's /etc/resolv.conf (resolved inside its rootfs), read-only for a pea; none if it has none. */
async function sharedResolvConf(containerRootfs: string): Promise<BindMount[]> {
  const source = await resolveInRoot(containerRootfs, "/etc/resolv.conf");
  const info = await lstat(source).catch(() => undefined);
  if (!info?.isFile()) return [];
  return [{ srcPath: source, dstPath: "/etc/resolv.conf", mode: "ro", origin: "host" }];
}

/** A home directory that does not exist (e.g. nobody's /nonexistent) would fail as working directory. */
async function homeOrRoot(rootfsPath: string, user: ResolvedUser): Promise<ResolvedUser> {
  const exists = await lstat(join(rootfsPath, user.home)).then(
    (info) => info.isDirectory(),
    () => false,
  );
  return exists ? user : { ...user, home: "/" };
}

/** Removes a pea's runtime container and rootfs; safe to call when they are already gone. */
export async function removePea(context: GardenContext, handle: string, id: string): Promise<void> {
  const removedMarker = join(context.depot.processDir(handle, id), "pea-removed");
  if (await lstat(removedMarker).catch(() => undefined)) return;
  const peaId = peaContainerId(handle, id);
  const logPath = context.depot.runtimeLog(handle);
  if (await context.runtime.state(peaId)) {
    await context.runtime.delete(peaId, logPath).catch((error: Error) => {
      context.logger.warn({ handle, processId: id, error: error.message }, "pea delete failed");
    });
  }
  await context.volumizer.destroy(peaId);
  await writeFile(removedMarker, "").catch(() => {});
}
