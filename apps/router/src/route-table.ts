import type { RouteRegistration } from "@grove/protocol";

/** One backend of a route: an instance's cell address and mapped port. */
export interface Endpoint {
  host: string;
  port: number;
  app?: string;
  instanceId?: string;
  /** ms since epoch of the last registration */
  updatedAt: number;
  /** ms after updatedAt when the endpoint is pruned */
  staleAfterMs: number;
}

interface Route {
  endpoints: Map<string, Endpoint>;
  /** round-robin cursor */
  next: number;
}

/**
 * The routing table: routes (a host, optionally with a path prefix, as gorouter's `uris`) mapped to
 * endpoints. Registrations refresh endpoints; endpoints not refreshed within their stale threshold
 * are pruned. Pure data — time is passed in, so it is tested without clocks.
 */
export class RouteTable {
  readonly #routes = new Map<string, Route>();

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
        route = { endpoints: new Map(), next: 0 };
        this.#routes.set(key, route);
      }
      route.endpoints.set(endpointKey(message.host, message.port), {
        host: message.host,
        port: message.port,
        app: message.app,
        instanceId: message.private_instance_id,
        updatedAt: now,
        staleAfterMs,
      });
    }
  }

  unregister(message: RouteRegistration): void {
    for (const uri of message.uris) {
      const key = normaliseUri(uri);
      const route = this.#routes.get(key);
      if (!route) continue;
      route.endpoints.delete(endpointKey(message.host, message.port));
      if (route.endpoints.size === 0) this.#routes.delete(key);
    }
  }

  /** Drops endpoints not registered again in time; returns how many were dropped. */
  prune(now: number): number {
    let pruned = 0;
    for (const [key, route] of this.#routes) {
      for (const [id, endpoint] of route.endpoints) {
        if (now - endpoint.updatedAt > endpoint.staleAfterMs) {
          route.endpoints.delete(id);
          pruned += 1;
        }
      }
      if (route.endpoints.size === 0) this.#routes.delete(key);
    }
    return pruned;
  }

  /**
   * The route for a request: the longest registered path prefix under the host, then the bare host.
   * Returns the route's name and its endpoints in round-robin order (first = this request's pick).
   */
  lookup(hostHeader: string, path: string): { route: string; endpoints: Endpoint[] } | undefined {
    const host = normaliseHost(hostHeader);
    const segments = path.split("?")[0]?.split("/").filter(Boolean) ?? [];
    for (let n = segments.length; n >= 0; n -= 1) {
      const key = n === 0 ? host : `${host}/${segments.slice(0, n).join("/")}`;
      const route = this.#routes.get(key);
      if (!route || route.endpoints.size === 0) continue;
      const all = [...route.endpoints.values()];
      const start = route.next % all.length;
      route.next = (start + 1) % all.length;
      return { route: key, endpoints: [...all.slice(start), ...all.slice(0, start)] };
    }
    return undefined;
  }

  get size(): { routes: number; endpoints: number } {
    let endpoints = 0;
    for (const route of this.#routes.values()) endpoints += route.endpoints.size;
    return { routes: this.#routes.size, endpoints };
  }
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
