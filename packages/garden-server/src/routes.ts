/** The Garden route table (routes/routes.go of the reference), matched in the same order. */
const table = [
  ["Ping", "GET", "/ping"],
  ["Capacity", "GET", "/capacity"],
  ["List", "GET", "/containers"],
  ["Create", "POST", "/containers"],
  ["Info", "GET", "/containers/:handle/info"],
  ["BulkInfo", "GET", "/containers/bulk_info"],
  ["BulkMetrics", "GET", "/containers/bulk_metrics"],
  ["Destroy", "DELETE", "/containers/:handle"],
  ["Stop", "PUT", "/containers/:handle/stop"],
  ["StreamIn", "PUT", "/containers/:handle/files"],
  ["StreamOut", "GET", "/containers/:handle/files"],
  ["CurrentBandwidthLimits", "GET", "/containers/:handle/limits/bandwidth"],
  ["CurrentCPULimits", "GET", "/containers/:handle/limits/cpu"],
  ["CurrentDiskLimits", "GET", "/containers/:handle/limits/disk"],
  ["CurrentMemoryLimits", "GET", "/containers/:handle/limits/memory"],
  ["NetIn", "POST", "/containers/:handle/net/in"],
  ["NetOut", "POST", "/containers/:handle/net/out"],
  ["BulkNetOut", "POST", "/containers/:handle/net/out/bulk"],
  ["Stdout", "GET", "/containers/:handle/processes/:pid/attaches/:streamid/stdout"],
  ["Stderr", "GET", "/containers/:handle/processes/:pid/attaches/:streamid/stderr"],
  ["Run", "POST", "/containers/:handle/processes"],
  ["Attach", "GET", "/containers/:handle/processes/:pid"],
  ["SetGraceTime", "PUT", "/containers/:handle/grace_time"],
  ["Properties", "GET", "/containers/:handle/properties"],
  ["Property", "GET", "/containers/:handle/properties/:key"],
  ["SetProperty", "PUT", "/containers/:handle/properties/:key"],
  ["RemoveProperty", "DELETE", "/containers/:handle/properties/:key"],
  ["Metrics", "GET", "/containers/:handle/metrics"],
] as const;

export type RouteName = (typeof table)[number][0];

/** The routes served on the raw socket instead of by node:http. */
export const hijackedRoutes: ReadonlySet<RouteName> = new Set(["Run", "Attach", "Stdout", "Stderr"]);

export interface RouteMatch {
  name: RouteName;
  params: Record<string, string>;
}

/** Matches a method and an (encoded) path; null when no route fits. */
export function matchRoute(method: string, path: string): RouteMatch | null {
  const segments = path.split("/").slice(1);
  for (const [name, routeMethod, pattern] of table) {
    if (routeMethod !== method) continue;
    const parts = pattern.split("/").slice(1);
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i] ?? "";
      const segment = segments[i] ?? "";
      if (part.startsWith(":")) {
        if (segment === "") ok = false;
        else params[part.slice(1)] = safeDecode(segment);
      } else if (part !== segment) ok = false;
    }
    if (ok) return { name, params };
  }
  return null;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
