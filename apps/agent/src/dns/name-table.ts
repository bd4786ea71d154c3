import { type ApplyNames, INTERNAL_ZONE } from "@grove/protocol";

/** Whether `name` (lower-case, no trailing dot) lies in the zone the cell's resolver owns. */
export function isInternal(name: string): boolean {
  return name === INTERNAL_ZONE || name.endsWith(`.${INTERNAL_ZONE}`);
}

/**
 * The app-internal names a cell answers, per tenant, as the api's apply-names command gives them: a
 * caller sees only its own tenant's names, so another tenant's app is as absent as one that never existed.
 */
export class InternalNames {
  #byTenant = new Map<string, Map<string, readonly string[]>>();

  replace(command: Pick<ApplyNames, "tenants">): void {
    const next = new Map<string, Map<string, readonly string[]>>();
    for (const tenant of command.tenants) {
      const names = new Map<string, readonly string[]>();
      for (const entry of tenant.names) names.set(entry.name, [...entry.addresses]);
      next.set(tenant.tenantId, names);
    }
    this.#byTenant = next;
  }

  /** The addresses `name` has for a caller in `tenantId`; undefined when the tenant has no such name. */
  lookup(tenantId: string, name: string): readonly string[] | undefined {
    return this.#byTenant.get(tenantId)?.get(name);
  }

  /** How many tenants and names the table holds (for logs). */
  size(): { tenants: number; names: number } {
    let names = 0;
    for (const table of this.#byTenant.values()) names += table.size;
    return { tenants: this.#byTenant.size, names };
  }
}
