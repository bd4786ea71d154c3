/** The parts of the OCI runtime spec (config.json) this package writes. */
export interface OciProcess {
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  user: { uid: number; gid: number; additionalGids?: number[] };
  args: string[];
  env: string[];
  cwd: string;
  capabilities: { bounding: string[]; effective: string[]; permitted: string[]; inheritable: string[] };
  rlimits: Array<{ type: string; hard: number; soft: number }>;
  noNewPrivileges: boolean;
}

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

export interface OciNamespace {
  type: "pid" | "network" | "ipc" | "uts" | "mount" | "user" | "cgroup";
  path?: string;
}

export interface OciDevice {
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciIdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface OciSpec {
  ociVersion: string;
  process: OciProcess;
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    uidMappings?: OciIdMapping[];
    gidMappings?: OciIdMapping[];
    namespaces: OciNamespace[];
    devices?: OciDevice[];
    cgroupsPath: string;
    resources: {
      memory?: { limit?: number };
      cpu?: { shares?: number };
      pids?: { limit: number };
      devices?: Array<{ allow: boolean; type?: string; major?: number; minor?: number; access?: string }>;
    };
    maskedPaths: string[];
    readonlyPaths: string[];
    seccomp?: unknown;
  };
}
