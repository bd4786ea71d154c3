import { type Database, schema, type Transaction } from "@grove/db";
import type { EgressProtocol } from "@grove/protocol";
import { and, asc, eq, gt, isNull, or, type SQL } from "drizzle-orm";
import { NotFound } from "../errors";
import type { StoredEgressRule } from "../policies/egress-slices";

const { egressRules, tenants, spaces } = schema;

/** An egress rule with the names people use; no tenant: the platform default. */
export interface EgressRuleListing {
  id: string;
  tenant: string | null;
  space: string | null;
  network: string;
  protocol: EgressProtocol;
  portStart: number | null;
  portEnd: number | null;
  controlPlane: boolean;
  createdAt: Date;
}

/** tenantId null: the platform default (operators) */
export type NewEgressRule = StoredEgressRule;

/**
 * Egress rules as one caller sees them: a tenant's own (tenant- and space-wide) and the platform
 * default; `tenantId` null sees and manages the platform default alone.
 */
export class EgressRules {
  constructor(
    private readonly db: Database,
    readonly tenantId: string | null,
  ) {}

  async create(rule: NewEgressRule): Promise<EgressRuleListing> {
    const [row] = await this.db.insert(egressRules).values(rule).returning({ id: egressRules.id });
    return this.get((row as { id: string }).id);
  }

  list(limit: number, afterId?: string): Promise<EgressRuleListing[]> {
    return this.select(afterId === undefined ? undefined : gt(egressRules.id, afterId), limit);
  }

  async get(id: string): Promise<EgressRuleListing> {
    const [row] = await this.select(eq(egressRules.id, id), 1);
    if (!row) throw new NotFound(`no egress rule ${id}`);
    return row;
  }

  /** Removes one rule this caller manages (its tenant's, or the platform's for `tenantId` null). */
  async delete(id: string): Promise<void> {
    const owner =
      this.tenantId === null ? isNull(egressRules.tenantId) : eq(egressRules.tenantId, this.tenantId);
    const gone = await this.db
      .delete(egressRules)
      .where(and(eq(egressRules.id, id), owner))
      .returning({ id: egressRules.id });
    if (gone.length === 0) throw new NotFound(`no egress rule ${id}`);
  }

  private select(filter: SQL | undefined, limit: number): Promise<EgressRuleListing[]> {
    const visible =
      this.tenantId === null
        ? isNull(egressRules.tenantId)
        : or(isNull(egressRules.tenantId), eq(egressRules.tenantId, this.tenantId));
    return this.db
      .select({
        id: egressRules.id,
        tenant: tenants.name,
        space: spaces.name,
        network: egressRules.network,
        protocol: egressRules.protocol,
        portStart: egressRules.portStart,
        portEnd: egressRules.portEnd,
        controlPlane: egressRules.controlPlane,
        createdAt: egressRules.createdAt,
      })
      .from(egressRules)
      .leftJoin(tenants, eq(tenants.id, egressRules.tenantId))
      .leftJoin(spaces, eq(spaces.id, egressRules.spaceId))
      .where(and(visible, filter))
      .orderBy(asc(egressRules.id))
      .limit(limit);
  }
}

/** Every egress rule, for the leader to cut into cell slices. */
export function allEgressRules(db: Database | Transaction) {
  return db
    .select({
      tenantId: egressRules.tenantId,
      spaceId: egressRules.spaceId,
      network: egressRules.network,
      protocol: egressRules.protocol,
      portStart: egressRules.portStart,
      portEnd: egressRules.portEnd,
      controlPlane: egressRules.controlPlane,
    })
    .from(egressRules);
}
