import { type Database, schema, type Transaction } from "@grove/db";
import { and, eq, gt, isNull, lt, sql } from "drizzle-orm";
import { hashToken } from "../auth/tokens";
import { NotFound } from "../errors";
import { isUuid } from "../ids";
import { type CreatedCursor, createdOrder } from "./created-cursor";

const { joinTokens } = schema;
export type JoinTokenRow = typeof joinTokens.$inferSelect;
/** A join token as listed: never its hash. */
export type JoinTokenListing = Omit<JoinTokenRow, "tokenHash">;

/** Stores a join token's hash with its expiry and the number of cells it may join (default 1). */
export async function insertJoinToken(
  db: Database,
  tokenHash: string,
  expiresAt: Date,
  maxUses = 1,
): Promise<JoinTokenRow> {
  const [row] = await db.insert(joinTokens).values({ tokenHash, expiresAt, maxUses }).returning();
  return row as JoinTokenRow;
}

/** Why a join token cannot join a cell. */
export type JoinRefusal = "unknown" | "revoked" | "expired" | "used-up";

/**
 * Takes one use of a join token, in one statement that also checks expiry and revocation: of two
 * registrations racing for a token's last use, exactly one gets it (the other's update finds the
 * row already at `max_uses` once the first commits). Run it in the transaction that creates the
 * cell, so a registration that fails afterwards gives the use back.
 */
export async function consumeJoinToken(
  tx: Database | Transaction,
  token: string,
): Promise<{ ok: true; id: string } | { ok: false; reason: JoinRefusal; expiresAt?: Date }> {
  const tokenHash = hashToken(token);
  const [taken] = await tx
    .update(joinTokens)
    .set({ uses: sql`${joinTokens.uses} + 1` })
    .where(
      and(
        eq(joinTokens.tokenHash, tokenHash),
        isNull(joinTokens.revokedAt),
        gt(joinTokens.expiresAt, sql`now()`),
        lt(joinTokens.uses, joinTokens.maxUses),
      ),
    )
    .returning({ id: joinTokens.id });
  if (taken) return { ok: true, id: taken.id };
  const [row] = await tx.select().from(joinTokens).where(eq(joinTokens.tokenHash, tokenHash));
  if (!row) return { ok: false, reason: "unknown" };
  if (row.revokedAt) return { ok: false, reason: "revoked" };
  if (row.uses >= row.maxUses) return { ok: false, reason: "used-up" };
  return { ok: false, reason: "expired", expiresAt: row.expiresAt };
}

/**
 * Locks a join token's row for the rest of the transaction, so registrations with one token run one
 * after another; `usable` is false once it is revoked or expired (used up still counts as usable
 * here: a retry of a registration that spent its last use may still get its cell back).
 */
export async function lockJoinToken(
  tx: Transaction,
  token: string,
): Promise<{ id: string; usable: boolean } | undefined> {
  const [row] = await tx
    .select({
      id: joinTokens.id,
      usable: sql<boolean>`${joinTokens.revokedAt} is null and ${joinTokens.expiresAt} > now()`,
    })
    .from(joinTokens)
    .where(eq(joinTokens.tokenHash, hashToken(token)))
    .for("update");
  return row;
}

const listingColumns = {
  id: joinTokens.id,
  expiresAt: joinTokens.expiresAt,
  maxUses: joinTokens.maxUses,
  uses: joinTokens.uses,
  revokedAt: joinTokens.revokedAt,
  createdAt: joinTokens.createdAt,
};

/** Unrevoked join tokens (used up and expired ones included), oldest first, after the cursor. */
export function listJoinTokens(
  db: Database,
  limit: number,
  after?: CreatedCursor,
): Promise<JoinTokenListing[]> {
  const order = createdOrder(joinTokens.createdAt, joinTokens.id, after);
  return db
    .select(listingColumns)
    .from(joinTokens)
    .where(and(isNull(joinTokens.revokedAt), order.where))
    .orderBy(...order.orderBy)
    .limit(limit);
}

/** Revokes a join token: no cell joins with it from now on. `NotFound` if unknown or already revoked. */
export async function revokeJoinToken(db: Database, id: string): Promise<void> {
  const revoked = isUuid(id)
    ? await db
        .update(joinTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(joinTokens.id, id), isNull(joinTokens.revokedAt)))
        .returning({ id: joinTokens.id })
    : [];
  if (revoked.length === 0) throw new NotFound(`no join token ${id}`);
}
