import type { RouteRegistration } from "@grove/protocol";

/** One backend of a route: an instance's cell address and mapped port. */
export interface Endpoint {
  host: string;
  port: number;
  /** "host:port" */
  key: string;
  app?: string;
  instanceId?: string;
  /** ms since epoch of the last registration */
  updatedAt: number;
  /** ms after updatedAt when the endpoint is pruned */
  staleAfterMs: number;
}

interface Route {
  endpoints: Map<string, Endpoint>;
  /** endpoints' values, kept for the per-request pick */
  list: Endpoint[];
  /** round-robin cursor */
  next: number;
}

/** A request's route: `endpoints[first]` is its endpoint, the ones after it (wrapping) its retries. */
export interface RoutePick {
  route: string;
  endpoints: readonly Endpoint[];
  first: number;
}

/**
 * The routing table: routes (a host, optionally with a path prefix, as gorouter's `uris`) mapped to
 * endpoints. Registrations refresh endpoints; endpoints not refreshed within their stale threshold
 * are pruned. Pure data — time is passed in, so it is tested without clocks.
 */
export class RouteTable {
  readonly #routes = new Map<string, Route>();
  /** Host header → normalised host, for the headers seen most (bounded) */
  readonly #hosts = new Map<string, string>();
  /** hosts with at least one path-prefixed route, by how many */
  readonly #hostsWithPaths = new Map<string, number>();

  constructor(private readonly defaultStaleAfterMs: number) {}

  register(message: RouteRegistration, now: number): void {
    const staleAfterMs =
      message.stale_threshold_in_seconds !== undefined
        ? message.stale_threshold_in_seconds * 1000
        : this.defaultStaleAfterMs;
    for (const uri of message.uris) {
      const key = normaliseUri(uri);
      let route = this.#routes.get(key);
      if (!route) {
        route = { endpoints: new Map(), list: [], next: 0 };
        this.#addRoute(key, route);
      }
      const id = endpointKey(message.host, message.port);
      route.endpoints.set(id, {
        host: message.host,
        port: message.port,
        key: id,
        app: message.app,
        instanceId: message.private_instance_id,
        updatedAt: now,
        staleAfterMs,
      });
      route.list = [...route.endpoints.values()];
    }
  }

  unregister(message: RouteRegistration): void {
    for (const uri of message.uris) {
      const key = normaliseUri(uri);
      const route = this.#routes.get(key);
      if (!route) continue;
      route.endpoints.delete(endpointKey(message.host, message.port));
      route.list = [...route.endpoints.values()];
      if (route.endpoints.size === 0) this.#deleteRoute(key);
    }
  }

  /** Drops endpoints not registered again in time; returns how many were dropped. */
  prune(now: number): number {
    let pruned = 0;
    for (const [key, route] of this.#routes) {
      const before = route.endpoints.size;
      for (const [id, endpoint] of route.endpoints) {
        if (now - endpoint.updatedAt > endpoint.staleAfterMs) route.endpoints.delete(id);
      }
      if (route.endpoints.size === before) continue;
      pruned += before - route.endpoints.size;
      route.list = [...route.endpoints.values()];
      if (route.endpoints.size === 0) this.#deleteRoute(key);
    }
    return pruned;
  }

  /**
   * The route for a request: the longest registered path prefix under the host, then the bare host.
   * Advances the route's round-robin cursor; allocates one small object, as it runs per request.
   */
  pick(hostHeader: string, path: string): RoutePick | undefined {
    let host = this.#hosts.get(hostHeader);
    if (host === undefined) {
      host = normaliseHost(hostHeader);
      if (this.#hosts.size >= 1024) this.#hosts.clear();
      this.#hosts.set(hostHeader, host);
    }
    if (this.#hostsWithPaths.has(host)) return this.#pickByPath(host, path);
    const route = this.#routes.get(host);
    return route ? advance(host, route) : undefined;
  }

  /** As pick, with the endpoints in round-robin order (first = this request's pick). */
  lookup(hostHeader: string, path: string): { route: string; endpoints: Endpoint[] } | undefined {
    const found = this.pick(hostHeader, path);
    if (!found) return undefined;
    const { endpoints, first } = found;
    return { route: found.route, endpoints: [...endpoints.slice(first), ...endpoints.slice(0, first)] };
  }

  #pickByPath(host: string, path: string): RoutePick | undefined {
    const segments = path.split("?")[0]?.split("/").filter(Boolean) ?? [];
    for (let n = segments.length; n >= 0; n -= 1) {
      const key = n === 0 ? host : `${host}/${segments.slice(0, n).join("/")}`;
      const route = this.#routes.get(key);
      if (route && route.list.length > 0) return advance(key, route);
    }
    return undefined;
  }

  #addRoute(key: string, route: Route): void {
    this.#routes.set(key, route);
    const slash = key.indexOf("/");
    if (slash !== -1) {
      const host = key.slice(0, slash);
      this.#hostsWithPaths.set(host, (this.#hostsWithPaths.get(host) ?? 0) + 1);
    }
  }

  #deleteRoute(key: string): void {
    if (!this.#routes.delete(key)) return;
    const slash = key.indexOf("/");
    if (slash === -1) return;
    const host = key.slice(0, slash);
    const count = (this.#hostsWithPaths.get(host) ?? 1) - 1;
    if (count === 0) this.#hostsWithPaths.delete(host);
    else this.#hostsWithPaths.set(host, count);
  }

  get size(): { routes: number; endpoints: number } {
    let endpoints = 0;
    for (const route of this.#routes.values()) endpoints += route.endpoints.size;
    return { routes: this.#routes.size, endpoints };
  }
}

function advance(key: string, route: Route): RoutePick | undefined {
  const count = route.list.length;
  if (count === 0) return undefined;
  const first = route.next % count;
  route.next = (first + 1) % count;
  return { route: key, endpoints: route.list, first };
}

function endpointKey(host: string, port: number): string {
  return `${host}:${port}`;
}

/** "Web.Example.COM:8080" → "web.example.com" */
export function normaliseHost(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

/** "Web.example.com/API/" → "web.example.com/API" (paths keep their case, as gorouter does) */
function normaliseUri(uri: string): string {
  const slash = uri.indexOf("/");
  if (slash === -1) return normaliseHost(uri);
  const path = uri.slice(slash).split("/").filter(Boolean).join("/");
  return path ? `${normaliseHost(uri.slice(0, slash))}/${path}` : normaliseHost(uri.slice(0, slash));
}
