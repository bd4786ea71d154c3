import { type Database, schema, type Transaction } from "@grove/db";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import {
  chooseSubnet,
  claimSubnet,
  type Lease,
  type LeaseDecision,
  type SubnetRange,
} from "../network/subnet-lease";

const { subnetLeases, cells } = schema;

/** The cluster network as the api is configured. */
export interface LeaseSettings {
  range: SubnetRange;
  ttlMs: number;
}

/** Why a cell got no subnet: the range is full, or the subnet it runs on is another live cell's. */
export class NoSubnet extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NoSubnet";
  }
}

/**
 * Applies a lease decision under a table lock (two cells joining at once never get one subnet):
 * the reclaimed lease is dropped, and the cell's lease is set to the subnet with a fresh expiry.
 */
async function decideAndApply(
  tx: Transaction,
  cellId: string,
  ttlMs: number,
  decide: (leases: Lease[], now: Date) => LeaseDecision,
): Promise<string> {
  await tx.execute(sql`lock table ${subnetLeases} in share row exclusive mode`);
  const leases = await tx.select().from(subnetLeases);
  const now = new Date();
  const decision = decide(leases, now);
  if (!decision.ok) throw new NoSubnet(decision.reason);
  if (decision.reclaim) await tx.delete(subnetLeases).where(eq(subnetLeases.subnet, decision.reclaim.subnet));
  const expiresAt = new Date(now.getTime() + ttlMs);
  const own = leases.find((l) => l.cellId === cellId);
  if (own && own.subnet !== decision.subnet)
    await tx.delete(subnetLeases).where(eq(subnetLeases.cellId, cellId));
  await tx
    .insert(subnetLeases)
    .values({ subnet: decision.subnet, cellId, expiresAt })
    .onConflictDoUpdate({ target: subnetLeases.subnet, set: { expiresAt } });
  return decision.subnet;
}

/** Leases a subnet to a joining cell (inside its registration's transaction); throws NoSubnet. */
export function leaseSubnet(tx: Transaction, cellId: string, settings: LeaseSettings): Promise<string> {
  return decideAndApply(tx, cellId, settings.ttlMs, (leases, now) =>
    chooseSubnet(settings.range, leases, cellId, now),
  );
}

/**
 * Keeps (or takes back) the lease on the subnet a restarted cell's network runs on; throws NoSubnet
 * when that subnet is outside the range or another live cell's.
 */
export function claimCellSubnet(
  db: Database,
  cellId: string,
  subnet: string,
  settings: LeaseSettings,
): Promise<string> {
  return db.transaction((tx) =>
    decideAndApply(tx, cellId, settings.ttlMs, (leases, now) =>
      claimSubnet(settings.range, leases, cellId, subnet, now),
    ),
  );
}

/** A heartbeat renews the cell's lease. */
export async function renewSubnetLease(db: Database, cellId: string, ttlMs: number): Promise<void> {
  await db
    .update(subnetLeases)
    .set({ expiresAt: new Date(Date.now() + ttlMs) })
    .where(eq(subnetLeases.cellId, cellId));
}

/** The leases of these cells, by cell id. */
export async function leasesOf(
  db: Database,
  cellIds: string[],
): Promise<Map<string, { subnet: string; expiresAt: Date }>> {
  if (cellIds.length === 0) return new Map();
  const rows = await db.select().from(subnetLeases).where(inArray(subnetLeases.cellId, cellIds));
  return new Map(rows.map((r) => [r.cellId, { subnet: r.subnet, expiresAt: r.expiresAt }]));
}

/** Every cell in service (active or draining, not removed) with its leased subnet: the overlay's peers. */
export async function overlayPeers(
  db: Database,
): Promise<{ cellId: string; address: string; subnet: string }[]> {
  return db
    .select({ cellId: cells.id, address: cells.address, subnet: subnetLeases.subnet })
    .from(cells)
    .innerJoin(subnetLeases, eq(subnetLeases.cellId, cells.id))
    .where(and(inArray(cells.state, ["active", "draining"]), isNull(cells.removedAt)))
    .orderBy(cells.id);
}
