import type { ResolvedUser } from "../process/users";
import type { ProcessSpec } from "../types";
import { capabilitiesFor } from "./capabilities";
import { defaultPath } from "./container-spec";
import type { OciProcess } from "./oci-types";
import { ociRlimits } from "./rlimits";

/**
 * The OCI process of a Garden process: the container's env first, then the process's own, then
 * USER/HOME/PATH where neither gave them.
 */
export function processSpec(
  spec: ProcessSpec,
  opts: { user: ResolvedUser; containerEnv: string[]; privileged: boolean },
): OciProcess {
  const env = mergeEnv([
    `USER=${opts.user.name}`,
    `HOME=${opts.user.home}`,
    defaultPath,
    ...opts.containerEnv,
    ...(spec.env ?? []),
  ]);
  const window = spec.tty?.windowSize;
  return {
    terminal: spec.tty !== undefined,
    ...(window ? { consoleSize: { height: window.rows, width: window.columns } } : {}),
    user: { uid: opts.user.uid, gid: opts.user.gid },
    args: [spec.path, ...(spec.args ?? [])],
    env,
    cwd: spec.dir || opts.user.home || "/",
    capabilities: capabilitiesFor(opts.privileged),
    rlimits: ociRlimits(spec.rlimits),
    noNewPrivileges: true,
  };
}

/** Later entries win; order of first appearance is kept. */
function mergeEnv(entries: string[]): string[] {
  const byName = new Map<string, string>();
  for (const entry of entries) {
    const name = entry.split("=", 1)[0] as string;
    byName.delete(name);
    byName.set(name, entry);
  }
  return [...byName.values()];
}
