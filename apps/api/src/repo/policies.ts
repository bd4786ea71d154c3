import { type Database, schema, type Transaction } from "@grove/db";
import type { PolicyRule } from "@grove/protocol";
import { and, asc, eq, gt, inArray, isNotNull, ne, or, type SQL } from "drizzle-orm";
import { alias } from "drizzle-orm/pg-core";
import { Conflict, NotFound } from "../errors";
import { isUuid } from "../ids";
import type { OwnedAddress, StoredEgressRule } from "../policies/egress-slices";
import type { InstanceAddress } from "../policies/slices";
import { allEgressRules } from "./egress-rules";
import { isUniqueViolation } from "./pg-errors";

const { networkPolicies, apps, tenants, cells, instances, spaces, policyRevision } = schema;

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

/** What the slices of the cells are cut from, as of one policy revision. */
export interface PolicyInputs {
  /** Postgres's policy revision these were read at */
  revision: number;
  /** cells in service (not lost) */
  cellIds: string[];
  cellAddresses: string[];
  policies: PolicyRule[];
  instances: (InstanceAddress & OwnedAddress)[];
  egress: StoredEgressRule[];
}

/** The policy revision now (bumped by triggers with every policy or egress rule change). */
export async function currentPolicyRevision(db: Database | Transaction): Promise<number> {
  const [row] = await db.select({ revision: policyRevision.revision }).from(policyRevision);
  return row?.revision ?? 0;
}

/**
 * Every policy, running address and cell in service, read in one snapshot (repeatable read) with
 * the policy revision, so a slice never claims a revision whose change it lacks.
 */
export function policyInputs(db: Database): Promise<PolicyInputs> {
  return db.transaction(
    async (tx) => {
      const revision = await currentPolicyRevision(tx);
      const cellRows = await tx
        .select({ id: cells.id, address: cells.address })
        .from(cells)
        .where(ne(cells.state, "lost"));
      const policyRows = await tx
        .select({
          sourceAppId: networkPolicies.sourceAppId,
          destinationAppId: networkPolicies.destinationAppId,
          protocol: networkPolicies.protocol,
          start: networkPolicies.portStart,
          end: networkPolicies.portEnd,
        })
        .from(networkPolicies);
      const instanceRows = await runningAddresses(tx);
      const egress = await allEgressRules(tx);
      return {
        revision,
        cellIds: cellRows.map((c) => c.id),
        cellAddresses: cellRows.map((c) => c.address),
        policies: policyRows.map(({ start, end, ...p }) => ({ ...p, ports: { start, end } })),
        instances: instanceRows as (InstanceAddress & OwnedAddress)[],
        egress,
      };
    },
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
}

function runningAddresses(db: Database | Transaction) {
  return db
    .select({
      appId: instances.appId,
      cellId: instances.cellId,
      containerIp: instances.containerIp,
      tenantId: apps.tenantId,
      spaceId: apps.spaceId,
    })
    .from(instances)
    .innerJoin(apps, eq(apps.id, instances.appId))
    .where(and(eq(instances.state, "RUNNING"), isNotNull(instances.cellId), isNotNull(instances.containerIp)))
    .orderBy(asc(instances.containerIp));
}

/**
 * What every cell's slice depends on besides the rules, as one string: the policy revision, the
 * running addresses with their app, cell and owners, and the cells in service with their addresses.
 * When it changes, cells pull their slices again.
 */
export async function policyFingerprint(db: Database): Promise<{ revision: number; fingerprint: string }> {
  const inputs = await db.transaction(
    async (tx) => ({
      revision: await currentPolicyRevision(tx),
      addresses: await runningAddresses(tx),
      cells: await tx
        .select({ id: cells.id, address: cells.address })
        .from(cells)
        .where(ne(cells.state, "lost"))
        .orderBy(asc(cells.id)),
    }),
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
  return { revision: inputs.revision, fingerprint: JSON.stringify(inputs) };
}
