/**
 * Quota admission as pure functions: what an app counts against a quota, what a change asks for,
 * and whether a quota admits it. The repository locks the quota row, reads usage and calls these
 * in one transaction; nothing here does I/O.
 *
 * Rules: a field is refused only when the request grows it (`asked > 0`) past its limit, so a
 * quota lowered below usage blocks growth but never scaling down, stopping or deleting. Stopped
 * apps count only as apps (their memory, disk and instances are free). Volumes count while they
 * exist, mounted or not: their number and their total size; each snapshot counts its volume's size
 * against that total (not against the number). Every app has its one default route, so
 * routes count like apps (started or stopped) until routes are objects of their own.
 */

/** The limits a quota sets; null = unlimited. */
export interface QuotaLimits {
  memoryMb: number | null;
  instanceMemoryMb: number | null;
  instances: number | null;
  apps: number | null;
  diskMb: number | null;
  routes: number | null;
  volumes: number | null;
  volumeMb: number | null;
}

/** What a tenant uses, computed from desired state. */
export interface Usage {
  memoryMb: number;
  instances: number;
  apps: number;
  diskMb: number;
  routes: number;
  volumes: number;
  volumeMb: number;
  /** the largest memory per instance of a started app (0 when none) */
  instanceMemoryMb: number;
}

/** What a change adds to usage (negative frees) and the memory per instance it starts, if any. */
export interface Asked {
  memoryMb: number;
  instances: number;
  apps: number;
  diskMb: number;
  routes: number;
  volumes: number;
  volumeMb: number;
  /** memory per instance of instances this change adds or enlarges; null when it adds none */
  instanceMemoryMb: number | null;
}

export type QuotaField = keyof QuotaLimits;

/** Why a quota refused: the field, its limit, what is in use and what was asked. */
export interface Refusal {
  field: QuotaField;
  limit: number;
  usage: number;
  asked: number;
}

/** The parts of an app that count against a quota. */
export interface Countable {
  state: "started" | "stopped";
  instances: number;
  memoryMb: number;
  diskMb: number;
}

/** Fields in the order they are checked (the first one exceeded is reported). */
const ORDER: readonly QuotaField[] = [
  "apps",
  "instanceMemoryMb",
  "instances",
  "memoryMb",
  "diskMb",
  "routes",
  "volumes",
  "volumeMb",
];

/** An app's share of usage: started apps count their instances, memory and disk; every app counts as one app with one route. */
export function usageOf(app: Countable | null): Omit<Usage, "instanceMemoryMb" | "volumes" | "volumeMb"> {
  if (!app) return { memoryMb: 0, instances: 0, apps: 0, diskMb: 0, routes: 0 };
  const running = app.state === "started" ? app.instances : 0;
  return {
    memoryMb: running * app.memoryMb,
    instances: running,
    apps: 1,
    diskMb: running * app.diskMb,
    routes: 1,
  };
}

/**
 * What changing an app from `before` to `after` asks of its quota (`null` for a create's before
 * or a delete's after).
 */
export function askedBy(before: Countable | null, after: Countable | null): Asked {
  const from = usageOf(before);
  const to = usageOf(after);
  const starts = after !== null && after.state === "started" && after.instances > 0;
  const wasRunning = before !== null && before.state === "started" && before.instances > 0;
  const grows =
    starts && (!wasRunning || after.memoryMb > before.memoryMb || after.instances > before.instances);
  return {
    memoryMb: to.memoryMb - from.memoryMb,
    instances: to.instances - from.instances,
    apps: to.apps - from.apps,
    diskMb: to.diskMb - from.diskMb,
    routes: to.routes - from.routes,
    volumes: 0,
    volumeMb: 0,
    instanceMemoryMb: grows ? after.memoryMb : null,
  };
}

/** What making a volume of `sizeMb` asks of its quota. */
export function askedByVolume(sizeMb: number): Asked {
  return {
    memoryMb: 0,
    instances: 0,
    apps: 0,
    diskMb: 0,
    routes: 0,
    volumes: 1,
    volumeMb: sizeMb,
    instanceMemoryMb: null,
  };
}

/** Whether `limits` admit `asked` on top of `usage`: null when they do, else the first refusal. */
export function checkQuota(limits: QuotaLimits, usage: Usage, asked: Asked): Refusal | null {
  for (const field of ORDER) {
    const limit = limits[field];
    if (limit === null) continue;
    if (field === "instanceMemoryMb") {
      const perInstance = asked.instanceMemoryMb;
      if (perInstance !== null && perInstance > limit)
        return { field, limit, usage: usage.instanceMemoryMb, asked: perInstance };
      continue;
    }
    const more = asked[field];
    if (more > 0 && usage[field] + more > limit) return { field, limit, usage: usage[field], asked: more };
  }
  return null;
}
