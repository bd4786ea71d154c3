import type { Database } from "@grove/db";
import type { RouteRegistration } from "@grove/protocol";
import { WrittenSince } from "../leader/view";
import { appsExist, cellEndpoints, changedRoutes, routableInstances } from "../repo/routes";
import { EventLoopSlices } from "../slices";
import { endpointOf, type RouteSet, registrationOf } from "./route-set";

/**
 * The route emitter's view of every routable instance, kept between runs like the leader's
 * `ClusterView` (`WrittenSince`): a run reads only the instances written since the previous read (`written_by`),
 * the running ones of apps written since, and those on cells whose state or address changed. A read
 * is whole the first time, after a failed read, when an app with routes was deleted (its instances
 * go with it, leaving no row to read), and every `fullEveryMs`.
 */
export class RouteView {
  private readonly routes = new Map<string, RouteRegistration>();
  /** how many current registrations hold each endpoint (`endpointOf`) */
  private readonly endpoints = new Map<string, number>();
  private cells = new Map<string, string>();
  private readonly reads: WrittenSince;

  constructor(
    private readonly domain: string,
    options: { fullEveryMs?: number; now?: () => number } = {},
  ) {
    this.reads = new WrittenSince(options);
  }

  /** The routes as of one snapshot, and which instances' routes may have changed (`all` when read whole). */
  async read(db: Database): Promise<{ current: RouteSet; changed: ReadonlySet<string> | "all" }> {
    // a whole read sets 100,000 routes: in slices of the event loop, like every long loop here
    const slices = new EventLoopSlices();
    const { changed } = await this.reads.read(db, async (tx, since) => {
      const cells = await cellEndpoints(tx);
      let changed: Set<string> | undefined;
      if (since !== undefined) {
        const movedCells = [...cells]
          .filter(([id, endpoint]) => this.cells.get(id) !== endpoint)
          .map(([id]) => id);
        const appIds = new Set<string>();
        for (const route of this.routes.values()) if (route.app) appIds.add(route.app);
        if (await appsExist(tx, [...appIds])) {
          changed = new Set();
          for (const { instanceId, route } of await changedRoutes(tx, since, movedCells)) {
            if (slices.due()) await slices.next();
            changed.add(instanceId);
            if (route) this.set(registrationOf(route, this.domain));
            else this.delete(instanceId);
          }
        }
      }
      if (changed === undefined) {
        this.routes.clear();
        this.endpoints.clear();
        for (const route of await routableInstances(tx)) {
          if (slices.due()) await slices.next();
          this.set(registrationOf(route, this.domain));
        }
      }
      this.cells = cells;
      return { changed: changed ?? ("all" as const), full: changed === undefined };
    });
    return { current: this.routes, changed };
  }

  /** Whether a current registration holds `endpoint` (`endpointOf`). */
  holds(endpoint: string): boolean {
    return (this.endpoints.get(endpoint) ?? 0) > 0;
  }

  private set(registration: RouteRegistration): void {
    const id = registration.private_instance_id as string;
    this.delete(id);
    this.routes.set(id, registration);
    for (const uri of registration.uris) {
      const endpoint = endpointOf(uri, registration);
      this.endpoints.set(endpoint, (this.endpoints.get(endpoint) ?? 0) + 1);
    }
  }

  private delete(id: string): void {
    const registration = this.routes.get(id);
    if (!registration) return;
    this.routes.delete(id);
    for (const uri of registration.uris) {
      const endpoint = endpointOf(uri, registration);
      const n = (this.endpoints.get(endpoint) ?? 0) - 1;
      if (n > 0) this.endpoints.set(endpoint, n);
      else this.endpoints.delete(endpoint);
    }
  }
}
