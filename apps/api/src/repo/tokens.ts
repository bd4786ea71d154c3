import { type Database, schema } from "@grove/db";
import { and, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Principal, Role } from "../auth/principal";
import { hashToken } from "../auth/tokens";
import { NotFound } from "../errors";
import { isUuid } from "../ids";
import { type CreatedCursor, createdOrder } from "./created-cursor";
import { preparedPerDatabase } from "./prepared";

const { apiTokens, tenants } = schema;

/** `last_used_at` is written at most this often per token, so reads stay reads. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Why a bearer token was refused. */
export type TokenRefusal = "unknown" | "revoked" | "expired";

const tokenByHash = preparedPerDatabase((db) =>
  db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, sql.placeholder("hash")))
    .prepare("grove_token_by_hash"),
);

/**
 * The principal a bearer token stands for, or why it stands for none. Revocation and expiry are
 * read from the row on every request (there is no cache to outlive a revoke).
 */
export async function authenticateToken(
  db: Database,
  token: string,
  now = new Date(),
): Promise<{ principal: Principal } | { refused: TokenRefusal }> {
  const [row] = await tokenByHash(db).execute({ hash: hashToken(token) });
  if (!row) return { refused: "unknown" };
  if (row.revokedAt) return { refused: "revoked" };
  if (row.expiresAt && row.expiresAt <= now) return { refused: "expired" };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, row.id));
  }
  if (row.role === "operator") return { principal: { tokenId: row.id, role: "operator", tenantId: null } };
  return { principal: { tokenId: row.id, role: row.role, tenantId: row.tenantId as string } };
}

/**
 * Which of these tokens (by id) no longer hold, and why: revoked, expired, or gone (deleted with
 * their tenant, reported as "unknown"). Tokens that still hold are not in the map.
 */
export async function lapsedTokens(db: Database, ids: string[]): Promise<Map<string, TokenRefusal>> {
  const lapsed = new Map<string, TokenRefusal>(ids.map((id) => [id, "unknown"]));
  if (ids.length === 0) return lapsed;
  const rows = await db
    .select({
      id: apiTokens.id,
      revoked: sql<boolean>`${apiTokens.revokedAt} is not null`,
      expired: sql<boolean>`coalesce(${apiTokens.expiresAt} <= now(), false)`,
    })
    .from(apiTokens)
    .where(inArray(apiTokens.id, ids));
  for (const row of rows) {
    if (row.revoked) lapsed.set(row.id, "revoked");
    else if (row.expired) lapsed.set(row.id, "expired");
    else lapsed.delete(row.id);
  }
  return lapsed;
}

/** The principal a bearer token stands for, or undefined for an unknown, revoked or expired token. */
export async function principalForToken(db: Database, token: string): Promise<Principal | undefined> {
  const result = await authenticateToken(db, token);
  return "principal" in result ? result.principal : undefined;
}

/** Stores a new token's hash; returns its id. */
export async function insertApiToken(
  db: Database,
  token: { secret: string; role: Role; tenantId: string | null; name: string; expiresAt: Date | null },
): Promise<{ id: string; createdAt: Date }> {
  const [row] = await db
    .insert(apiTokens)
    .values({
      tokenHash: hashToken(token.secret),
      role: token.role,
      tenantId: token.tenantId,
      name: token.name,
      expiresAt: token.expiresAt,
    })
    .returning({ id: apiTokens.id, createdAt: apiTokens.createdAt });
  return row as { id: string; createdAt: Date };
}

/** What a token listing shows: never the hash. */
export interface ApiTokenListing {
  id: string;
  name: string;
  role: Role;
  tenant: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

const listingColumns = {
  id: apiTokens.id,
  name: apiTokens.name,
  role: apiTokens.role,
  tenant: tenants.name,
  createdAt: apiTokens.createdAt,
  expiresAt: apiTokens.expiresAt,
  lastUsedAt: apiTokens.lastUsedAt,
};

/** Which tokens a caller may see: all (operators, `tenantId` null) or one tenant's. */
const visibleTo = (tenantId: string | null) =>
  and(isNull(apiTokens.revokedAt), tenantId === null ? undefined : eq(apiTokens.tenantId, tenantId));

/**
 * Unrevoked tokens, oldest first, after the cursor; `tenantId` null lists every tenant's and the
 * operators' tokens.
 */
export function listApiTokens(
  db: Database,
  tenantId: string | null,
  limit: number,
  after?: CreatedCursor,
): Promise<ApiTokenListing[]> {
  const order = createdOrder(apiTokens.createdAt, apiTokens.id, after);
  return db
    .select(listingColumns)
    .from(apiTokens)
    .leftJoin(tenants, eq(tenants.id, apiTokens.tenantId))
    .where(and(visibleTo(tenantId), order.where))
    .orderBy(...order.orderBy)
    .limit(limit);
}

/**
 * Revokes a token the caller can see (`tenantId` null: any); `NotFound` for one it cannot see or
 * that is already revoked. The next request with it is refused.
 */
export async function revokeApiToken(db: Database, id: string, tenantId: string | null): Promise<void> {
  const revoked = isUuid(id)
    ? await db
        .update(apiTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiTokens.id, id), visibleTo(tenantId)))
        .returning({ id: apiTokens.id })
    : [];
  if (revoked.length === 0) throw new NotFound(`no token ${id}`);
}

/**
 * Makes `secret` the bootstrap operator token: inserted if new, and any previous bootstrap token
 * (from an earlier configuration) removed, so rotating the configured token revokes the old one.
 */
export async function upsertBootstrapToken(db: Database, secret: string): Promise<void> {
  const tokenHash = hashToken(secret);
  await db.transaction(async (tx) => {
    await tx
      .delete(apiTokens)
      .where(
        and(
          eq(apiTokens.name, "bootstrap"),
          eq(apiTokens.role, "operator"),
          ne(apiTokens.tokenHash, tokenHash),
        ),
      );
    await tx
      .insert(apiTokens)
      .values({ tokenHash, role: "operator", tenantId: null, name: "bootstrap" })
      .onConflictDoNothing({ target: apiTokens.tokenHash });
  });
}
