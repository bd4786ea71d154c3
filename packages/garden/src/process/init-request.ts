import type { OciProcess } from "../bundle/oci-types";
import { InvalidSpec } from "../errors";

/** What grove-init and grove-monitor take (FRAME_PAYLOAD_MAX less room for the TTY entry; MAX_ARGS). */
const maxRequestBytes = (1 << 20) - 128;
const maxEntries = 4096;

/**
 * The request grove-init reads (monitor/grove-init.c): "key=value\0" entries for the program, its
 * environment, user, working directory and rlimits. The capabilities and no-new-privileges of the
 * OCI process are the container's own: the process inherits them from init (a non-root user's
 * effective set is emptied by setuid, as the kernel does for any non-root process). The TTY entry
 * is added by the monitor.
 */
export function initRequest(process: OciProcess): Buffer {
  const entries: string[] = [
    ...process.args.map((arg) => `arg=${arg}`),
    ...(process.env ?? []).map((entry) => `env=${entry}`),
    `uid=${process.user.uid}`,
    `gid=${process.user.gid}`,
    `cwd=${process.cwd}`,
    ...(process.rlimits ?? []).map((limit) => `rlimit=${limit.type}:${limit.soft}:${limit.hard}`),
  ];
  const bad = entries.find((entry) => entry.includes("\0"));
  if (bad)
    throw new InvalidSpec(`process arguments and environment cannot contain NUL bytes: ${bad.split("=")[0]}`);
  const request = Buffer.from(`${entries.join("\0")}\0`);
  if (request.length > maxRequestBytes)
    throw new InvalidSpec(`process arguments and environment exceed ${maxRequestBytes} bytes`);
  if (process.args.length > maxEntries || (process.env ?? []).length > maxEntries)
    throw new InvalidSpec(
      `a process takes at most ${maxEntries} arguments and ${maxEntries} environment entries`,
    );
  return request;
}
