import type { RouteRegistration } from "@grove/protocol";
import type { InstanceRoute } from "../repo/routes";
import { DEFAULT_SPACE } from "../repo/spaces";

/**
 * Every app's default route: `<app>.<tenant>.<domain>` in the `default` space (as before spaces),
 * `<app>.<space>.<tenant>.<domain>` in any other, since app names are unique per space.
 */
export function defaultRoute(app: string, space: string, tenant: string, domain: string): string {
  const spaced = space === DEFAULT_SPACE ? app : `${app}.${space}`;
  return `${spaced}.${tenant}.${domain}`.toLowerCase();
}

/** The gorouter registration of one instance's route (the same message registers and unregisters). */
export function registrationOf(route: InstanceRoute, domain: string): RouteRegistration {
  return {
    host: route.host,
    port: route.port,
    uris: [defaultRoute(route.appName, route.spaceName, route.tenantName, domain)],
    app: route.appId,
    private_instance_id: route.instanceId,
    tags: { component: "grove-api" },
  };
}

/** Registrations by instance id. */
export type RouteSet = ReadonlyMap<string, RouteRegistration>;

export function routeSetOf(routes: readonly InstanceRoute[], domain: string): RouteSet {
  return new Map(routes.map((route) => [route.instanceId, registrationOf(route, domain)]));
}

/**
 * What changed from `previous` to `current`: registrations that are new or moved, and the
 * previous ones to withdraw. A withdrawal never names an endpoint (uri, host, port) that a current
 * registration still holds, so a cell port reused by another instance of the app keeps serving.
 */
export function diffRoutes(
  previous: RouteSet,
  current: RouteSet,
): { register: RouteRegistration[]; unregister: RouteRegistration[] } {
  const held = new Set<string>();
  for (const registration of current.values())
    for (const uri of registration.uris) held.add(endpointOf(uri, registration));
  return diffRoutesOf(previous, current, new Set([...current.keys(), ...previous.keys()]), (endpoint) =>
    held.has(endpoint),
  );
}

/**
 * `diffRoutes` for the instances `ids` only (those that may have changed); `held` tells whether a
 * current registration holds an endpoint (`endpointOf`).
 */
export function diffRoutesOf(
  previous: RouteSet,
  current: RouteSet,
  ids: Iterable<string>,
  held: (endpoint: string) => boolean,
): { register: RouteRegistration[]; unregister: RouteRegistration[] } {
  const register: RouteRegistration[] = [];
  const unregister: RouteRegistration[] = [];
  for (const id of ids) {
    const before = previous.get(id);
    const now = current.get(id);
    if (now && before && sameEndpoints(before, now)) continue;
    if (now) register.push(now);
    if (!before) continue;
    const uris = before.uris.filter((uri) => !held(endpointOf(uri, before)));
    if (uris.length > 0) unregister.push({ ...before, uris });
  }
  return { register, unregister };
}

export function endpointOf(uri: string, registration: RouteRegistration): string {
  return `${uri} ${registration.host}:${registration.port}`;
}

function sameEndpoints(a: RouteRegistration, b: RouteRegistration): boolean {
  return a.host === b.host && a.port === b.port && a.uris.join(" ") === b.uris.join(" ");
}
