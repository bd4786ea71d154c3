import type { BindMount, Limits } from "../types";
import { capabilitiesFor } from "./capabilities";
import type { OciDevice, OciIdMapping, OciMount, OciNamespace, OciSpec } from "./oci-types";
import { defaultSeccompProfile } from "./seccomp-profile";

/** Where the init binary appears inside every container (Guardian uses the same place). */
export const initPathInContainer = "/tmp/garden-init";

export const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const maskedPaths = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
];

/** Privileged containers get the fuse device, as in Guardian (FUSE filesystems need CAP_SYS_ADMIN). */
const fuseDevice: OciDevice = {
  path: "/dev/fuse",
  type: "c",
  major: 10,
  minor: 229,
  fileMode: 0o666,
  uid: 0,
  gid: 0,
};

const readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

export interface ContainerSpecInput {
  handle: string;
  rootfsPath: string;
  /** null = privileged: no user namespace */
  uidMapping: { hostId: number; size: number } | null;
  cgroupsPath: string;
  /** join this network namespace; otherwise the runtime makes a new one (loopback only) */
  netnsPath?: string;
  limits?: Limits;
  bindMounts?: BindMount[];
  env: string[];
  initBinary: string;
  hostsFile: string;
  /** bind-mounted read-only at /etc/resolv.conf when given (the garden's dnsServers) */
  resolvConfFile?: string;
  /** namespaces to join by path instead of creating (peas) */
  joinNamespaces?: Partial<Record<OciNamespace["type"], string>>;
  /** the process to run as pid 1 (default: grove-init) */
  args?: string[];
}

/** The OCI config.json of a container (or of a pea, which joins another container's namespaces). */
export function containerSpec(input: ContainerSpecInput): OciSpec {
  const privileged = input.uidMapping === null;
  const maps: OciIdMapping[] | undefined = input.uidMapping
    ? [{ containerID: 0, hostID: input.uidMapping.hostId, size: input.uidMapping.size }]
    : undefined;
  const join = input.joinNamespaces ?? {};
  const namespaces: OciNamespace[] = [
    withPath("pid", join.pid),
    withPath("ipc", join.ipc),
    withPath("uts", join.uts),
    { type: "mount" },
    withPath("network", join.network ?? input.netnsPath),
  ];
  if (!privileged) namespaces.push(withPath("user", join.user));
  // sysfs can only be mounted by a user namespace that owns the network namespace; a joined one
  // belongs to the host, so the host's /sys is bind-mounted read-only instead.
  const ownsNetns = !input.netnsPath && !join.network;
  const spec: OciSpec = {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: input.args ?? [initPathInContainer],
      env: input.env,
      cwd: "/",
      capabilities: capabilitiesFor(privileged),
      rlimits: [],
      noNewPrivileges: true,
    },
    root: { path: input.rootfsPath, readonly: false },
    hostname: input.handle,
    mounts: [
      ...systemMounts(privileged || ownsNetns),
      { destination: "/etc/hosts", type: "bind", source: input.hostsFile, options: ["bind", "ro"] },
      ...(input.resolvConfFile
        ? [
            {
              destination: "/etc/resolv.conf",
              type: "bind",
              source: input.resolvConfFile,
              options: ["bind", "ro"],
            },
          ]
        : []),
      { destination: initPathInContainer, type: "bind", source: input.initBinary, options: ["bind", "ro"] },
      ...(input.bindMounts ?? []).map(bindMount(input.rootfsPath)),
    ],
    linux: {
      uidMappings: maps,
      gidMappings: maps,
      namespaces,
      devices: privileged ? [fuseDevice] : undefined,
      cgroupsPath: input.cgroupsPath,
      resources: resources(input.limits, privileged),
      maskedPaths: privileged ? [] : maskedPaths,
      readonlyPaths: privileged ? [] : readonlyPaths,
      seccomp: privileged ? undefined : defaultSeccompProfile(),
    },
  };
  if (join.uts) spec.hostname = "";
  return spec;
}

function withPath(type: OciNamespace["type"], path: string | undefined): OciNamespace {
  return path ? { type, path } : { type };
}

function systemMounts(mountSysfs: boolean): OciMount[] {
  return [
    { destination: "/proc", type: "proc", source: "proc", options: [] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777"],
    },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    mountSysfs
      ? { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] }
      : {
          destination: "/sys",
          type: "none",
          source: "/sys",
          options: ["rbind", "nosuid", "noexec", "nodev", "ro"],
        },
    // the container's own cgroups, read-only (also hides the host's under a bind-mounted /sys)
    {
      destination: "/sys/fs/cgroup",
      type: "cgroup",
      source: "cgroup",
      options: ["nosuid", "noexec", "nodev", "ro"],
    },
  ];
}

function bindMount(rootfsPath: string) {
  return (mount: BindMount): OciMount => ({
    destination: mount.dstPath,
    type: "bind",
    // A "container" origin names a path inside the container's own rootfs.
    source:
      mount.origin === "container" ? `${rootfsPath}/${mount.srcPath.replace(/^\/+/, "")}` : mount.srcPath,
    // nosuid: a read-only remount inside the user namespace must keep the source mount's locked flags (the rootfs is nosuid), and no bind source gains privileges
    options: ["rbind", "nosuid", "nodev", mount.mode === "rw" ? "rw" : "ro"],
  });
}

function resources(limits: Limits | undefined, privileged: boolean): OciSpec["linux"]["resources"] {
  const result: OciSpec["linux"]["resources"] = {};
  if (privileged)
    result.devices = [
      { allow: true, type: "c", major: fuseDevice.major, minor: fuseDevice.minor, access: "rwm" },
    ];
  const memory = limits?.memory?.limitInBytes;
  if (memory) result.memory = { limit: memory };
  const shares = limits?.cpu?.weight || limits?.cpu?.limitInShares;
  if (shares) result.cpu = { shares };
  if (limits?.pid?.max) result.pids = { limit: limits.pid.max };
  return result;
}
