import type { Rlimits } from "../types";

const names: Record<keyof Rlimits, string> = {
  as: "RLIMIT_AS",
  core: "RLIMIT_CORE",
  cpu: "RLIMIT_CPU",
  data: "RLIMIT_DATA",
  fsize: "RLIMIT_FSIZE",
  locks: "RLIMIT_LOCKS",
  memlock: "RLIMIT_MEMLOCK",
  msgqueue: "RLIMIT_MSGQUEUE",
  nice: "RLIMIT_NICE",
  nofile: "RLIMIT_NOFILE",
  nproc: "RLIMIT_NPROC",
  rss: "RLIMIT_RSS",
  rtprio: "RLIMIT_RTPRIO",
  sigpending: "RLIMIT_SIGPENDING",
  stack: "RLIMIT_STACK",
};

/** Garden rlimits as OCI rlimits; like Garden, one value sets both soft and hard limit. */
export function ociRlimits(
  rlimits: Rlimits | undefined,
): Array<{ type: string; hard: number; soft: number }> {
  if (!rlimits) return [];
  return (Object.keys(names) as Array<keyof Rlimits>)
    .filter((key) => rlimits[key] !== undefined)
    .map((key) => ({ type: names[key], hard: rlimits[key] as number, soft: rlimits[key] as number }));
}
