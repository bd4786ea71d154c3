import type { App, Cell, Instance, JoinTokenListing, TokenListing } from "@grove/client";
import { formatBinary, formatBytes, formatMegabytes } from "./units";
import { formatVolumeMount } from "./volume-flag";

/** How long ago an ISO time was, in the largest whole unit: `12s`, `5m`, `3h`, `2d`. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** How long until an ISO time, or `expired` once it has passed: `in 12m`, `in 29d`. */
export function until(iso: string, now = Date.now()): string {
  return Date.parse(iso) <= now ? "expired" : `in ${age(new Date(now).toISOString(), Date.parse(iso))}`;
}

/** `host:port` of an instance's first mapped port, or `-`. */
export function addressOf(instance: Instance): string {
  const port = instance.ports[0];
  if (!instance.address) return "-";
  return port ? `${instance.address}:${port.host_port}` : instance.address;
}

/** `cf`-style running count: `2/3` (instances RUNNING the app's revision / desired). */
export function runningOf(app: App, instances: Instance[]): string {
  return runningCount(
    app,
    instances.filter((i) => i.state === "RUNNING" && i.revision === app.revision).length,
  );
}

/** `runningOf` with the count already made (the app listing carries it). */
export function runningCount(app: App, running: number): string {
  return `${running}/${app.state === "started" ? app.instances : 0}`;
}

export const INSTANCE_HEADERS = [
  "INDEX",
  "STATE",
  "SINCE",
  "CPU",
  "MEMORY",
  "DISK",
  "CELL",
  "ADDRESS",
  "CRASHES",
  "REASON",
];

/** `used of limit` (`cf app`'s memory and disk columns), or `-` before the cell reported it. */
function usedOf(used: number | undefined, limit: number | null | undefined): string {
  if (used === undefined) return "-";
  if (!limit) return formatBinary(used);
  const mib = limit / (1024 * 1024);
  return `${formatBinary(used)} of ${Number.isInteger(mib) ? formatMegabytes(mib) : formatBinary(limit)}`;
}

export function instanceRow(instance: Instance, now = Date.now()): string[] {
  const usage = instance.usage;
  return [
    String(instance.index),
    instance.state,
    `${age(instance.since, now)} ago`,
    usage ? `${usage.cpu_percent.toFixed(1)}%` : "-",
    usedOf(usage?.memory_bytes, usage?.memory_limit_bytes),
    usedOf(usage?.disk_bytes, usage?.disk_limit_bytes),
    instance.cell?.name ?? "-",
    addressOf(instance),
    String(instance.crash_count),
    instance.reason ?? "",
  ];
}

/** The settings of an app as `key: value` lines. */
export function appLines(app: App): [string, string][] {
  const check = app.health_check;
  return [
    ["name", app.name],
    ["state", app.state],
    ["revision", String(app.revision)],
    ["instances", String(app.instances)],
    ["memory", formatMegabytes(app.memory_mb)],
    ["disk", formatMegabytes(app.disk_mb)],
    ...(app.image
      ? ([
          ["image", `${app.image.ref}${app.image.private ? " (private)" : ""}`],
          ["digest", app.image.digest],
        ] as [string, string][])
      : ([["stack", app.stack]] as [string, string][])),
    ["command", app.command],
    ["ports", app.ports.join(", ")],
    ["health check", check.type === "http" ? `http:${check.path}` : check.type],
    ["volumes", app.volumes.length === 0 ? "none" : app.volumes.map(formatVolumeMount).join(", ")],
    ...(app.image ? [] : ([["bits", app.bits_digest ?? "(none uploaded)"]] as [string, string][])),
  ];
}

export const CELL_HEADERS = [
  "NAME",
  "ID",
  "STATE",
  "ZONE",
  "ADDRESS",
  "INSTANCES",
  "MEMORY FREE",
  "HEARTBEAT",
];

export function cellRow(cell: Cell): string[] {
  return [
    cell.name,
    cell.id,
    cell.state,
    cell.zone,
    cell.address,
    cell.instances === null ? "-" : String(cell.instances),
    cell.available
      ? `${formatMegabytes(cell.available.memory_mb)}/${formatMegabytes(cell.capacity.memory_mb)}`
      : "-",
    cell.last_heartbeat_at ? `${age(cell.last_heartbeat_at)} ago` : "never",
  ];
}

export const TOKEN_HEADERS = ["NAME", "ID", "ROLE", "TENANT", "CREATED", "EXPIRES", "LAST USED"];

export function tokenRow(token: TokenListing): string[] {
  return [
    token.name || "-",
    token.id,
    token.role,
    token.tenant ?? "-",
    `${age(token.created_at)} ago`,
    token.expires_at ? until(token.expires_at) : "never",
    token.last_used_at ? `${age(token.last_used_at)} ago` : "never",
  ];
}

export const JOIN_TOKEN_HEADERS = ["ID", "STATE", "USES", "CREATED", "EXPIRES"];

export function joinTokenRow(token: JoinTokenListing): string[] {
  return [
    token.id,
    token.state,
    `${token.uses}/${token.max_uses}`,
    `${age(token.created_at)} ago`,
    until(token.expires_at),
  ];
}

/** `, pulling image 12.3 MB of 200.0 MB (6%)` while the instance's cell pulls its image, else "". */
export function pullNote(instance: Pick<Instance, "pull">): string {
  const { pull } = instance;
  if (!pull) return "";
  if (pull.total === 0) return ", pulling image";
  const percent = Math.floor((100 * pull.bytes) / pull.total);
  return `, pulling image ${formatBytes(pull.bytes)} of ${formatBytes(pull.total)} (${percent}%)`;
}
