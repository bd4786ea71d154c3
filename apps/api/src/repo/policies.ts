import { type Database, schema } from "@grove/db";
import type { PolicyRule } from "@grove/protocol";
import { and, asc, eq, gt, inArray, isNotNull, ne, or, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { Conflict, NotFound } from "../errors";
import { isUuid } from "../ids";
import type { OwnedAddress, StoredEgressRule } from "../policies/egress-slices";
import type { InstanceAddress } from "../policies/slices";
import { allEgressRules } from "./egress-rules";
import { isUniqueViolation } from "./pg-errors";

const { networkPolicies, apps, tenants, cells, instances, spaces } = schema;

/** A policy with the names people use. */
export interface PolicyListing {
  id: string;
  sourceApp: string;
  sourceSpaceId: string;
  sourceSpace: string;
  sourceTenant: string;
  destinationApp: string;
  destinationSpaceId: string;
  destinationSpace: string;
  destinationTenant: string;
  protocol: "tcp" | "udp";
  portStart: number;
  portEnd: number;
  createdAt: Date;
}

/** What a create names: the apps, found and checked by the caller (the destination may be another tenant's). */
export interface NewPolicy {
  source: { id: string };
  destination: { id: string; tenantId: string };
  protocol: "tcp" | "udp";
  portStart: number;
  portEnd: number;
}

const sourceApps = alias(apps, "source_apps");
const destinationApps = alias(apps, "destination_apps");
const sourceTenants = alias(tenants, "source_tenants");
const sourceSpaces = alias(spaces, "source_spaces");
const destinationSpaces = alias(spaces, "destination_spaces");
const destinationTenants = alias(tenants, "destination_tenants");

/**
 * The network policies of one tenant: those whose source app is the tenant's (which it owns and may
 * remove) and, for reading, those that let another tenant's app reach one of its apps.
 */
export class TenantPolicies {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** `NotFound` when an app is missing, `Conflict` when the same policy exists. */
  async create(spec: NewPolicy): Promise<PolicyListing> {
    const { source, destination } = spec;
    try {
      const [row] = await this.db
        .insert(networkPolicies)
        .values({
          tenantId: this.tenantId,
          sourceAppId: source.id,
          destinationAppId: destination.id,
          destinationTenantId: destination.tenantId,
          protocol: spec.protocol,
          portStart: spec.portStart,
          portEnd: spec.portEnd,
        })
        .returning({ id: networkPolicies.id });
      return this.get((row as { id: string }).id);
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict("the same policy exists already");
      throw error;
    }
  }

  /**
   * Policies ordered by id, after `afterId`; with `spaceIds`, only those whose source or
   * destination app is in one of these spaces (an empty list: none).
   */
  list(limit: number, afterId?: string, spaceIds?: string[]): Promise<PolicyListing[]> {
    if (spaceIds?.length === 0) return Promise.resolve([]);
    const after = afterId === undefined ? undefined : gt(networkPolicies.id, afterId);
    const inSpaces =
      spaceIds && or(inArray(sourceApps.spaceId, spaceIds), inArray(destinationApps.spaceId, spaceIds));
    return this.select(and(after, inSpaces), limit);
  }

  /** One of the tenant's own policies (the source app is the tenant's); `NotFound` for any other. */
  async own(id: string): Promise<PolicyListing> {
    const [row] = isUuid(id)
      ? await this.select(and(eq(networkPolicies.id, id), eq(networkPolicies.tenantId, this.tenantId)), 1)
      : [];
    if (!row) throw new NotFound(`no policy ${id}`);
    return row;
  }

  async get(id: string): Promise<PolicyListing> {
    const [row] = await this.select(eq(networkPolicies.id, id), 1);
    if (!row) throw new NotFound(`no policy ${id}`);
    return row;
  }

  /** Removes one of the tenant's own policies; `NotFound` for any other. */
  async delete(id: string): Promise<void> {
    const gone = await this.db
      .delete(networkPolicies)
      .where(and(eq(networkPolicies.id, id), eq(networkPolicies.tenantId, this.tenantId)))
      .returning({ id: networkPolicies.id });
    if (gone.length === 0) throw new NotFound(`no policy ${id}`);
  }

  private select(filter: SQL | undefined, limit: number): Promise<PolicyListing[]> {
    return this.db
      .select({
        id: networkPolicies.id,
        sourceApp: sourceApps.name,
        sourceSpaceId: sourceApps.spaceId,
        sourceSpace: sourceSpaces.name,
        sourceTenant: sourceTenants.name,
        destinationApp: destinationApps.name,
        destinationSpaceId: destinationApps.spaceId,
        destinationSpace: destinationSpaces.name,
        destinationTenant: destinationTenants.name,
        protocol: networkPolicies.protocol,
        portStart: networkPolicies.portStart,
        portEnd: networkPolicies.portEnd,
        createdAt: networkPolicies.createdAt,
      })
      .from(networkPolicies)
      .innerJoin(sourceApps, eq(sourceApps.id, networkPolicies.sourceAppId))
      .innerJoin(destinationApps, eq(destinationApps.id, networkPolicies.destinationAppId))
      .innerJoin(sourceSpaces, eq(sourceSpaces.id, sourceApps.spaceId))
      .innerJoin(destinationSpaces, eq(destinationSpaces.id, destinationApps.spaceId))
      .innerJoin(sourceTenants, eq(sourceTenants.id, networkPolicies.tenantId))
      .innerJoin(destinationTenants, eq(destinationTenants.id, networkPolicies.destinationTenantId))
      .where(
        and(
          or(
            eq(networkPolicies.tenantId, this.tenantId),
            eq(networkPolicies.destinationTenantId, this.tenantId),
          ),
          filter,
        ),
      )
      .orderBy(asc(networkPolicies.id))
      .limit(limit);
  }
}

/** What the leader cuts into slices for the cells: every policy, running addresses, cells in service. */
export async function policyInputs(db: Database): Promise<{
  cellIds: string[];
  cellAddresses: string[];
  policies: PolicyRule[];
  instances: (InstanceAddress & OwnedAddress)[];
  egress: StoredEgressRule[];
}> {
  const [cellRows, policyRows, instanceRows, egress] = await Promise.all([
    db.select({ id: cells.id, address: cells.address }).from(cells).where(ne(cells.state, "lost")),
    db
      .select({
        sourceAppId: networkPolicies.sourceAppId,
        destinationAppId: networkPolicies.destinationAppId,
        protocol: networkPolicies.protocol,
        start: networkPolicies.portStart,
        end: networkPolicies.portEnd,
      })
      .from(networkPolicies),
    db
      .select({
        appId: instances.appId,
        cellId: instances.cellId,
        containerIp: instances.containerIp,
        tenantId: apps.tenantId,
        spaceId: apps.spaceId,
      })
      .from(instances)
      .innerJoin(apps, eq(apps.id, instances.appId))
      .where(
        and(eq(instances.state, "RUNNING"), isNotNull(instances.cellId), isNotNull(instances.containerIp)),
      ),
    allEgressRules(db),
  ]);
  return {
    cellIds: cellRows.map((c) => c.id),
    cellAddresses: cellRows.map((c) => c.address),
    policies: policyRows.map(({ start, end, ...p }) => ({ ...p, ports: { start, end } })),
    instances: instanceRows as (InstanceAddress & OwnedAddress)[],
    egress,
  };
}
