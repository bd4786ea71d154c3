import { type Database, schema } from "@grove/db";
import { and, eq, ne } from "drizzle-orm";
import type { Principal, Role } from "../auth/principal";
import { hashToken } from "../auth/tokens";

const { apiTokens } = schema;

/** The principal a bearer token stands for, or undefined for an unknown token. */
export async function principalForToken(db: Database, token: string): Promise<Principal | undefined> {
  const [row] = await db
    .select({ id: apiTokens.id, role: apiTokens.role, tenantId: apiTokens.tenantId })
    .from(apiTokens)
    .where(eq(apiTokens.tokenHash, hashToken(token)));
  if (!row) return undefined;
  if (row.role === "operator") return { tokenId: row.id, role: "operator", tenantId: null };
  return { tokenId: row.id, role: row.role, tenantId: row.tenantId as string };
}

/** Stores a new token's hash; returns its id. */
export async function insertApiToken(
  db: Database,
  token: { secret: string; role: Role; tenantId: string | null; name: string },
): Promise<{ id: string; createdAt: Date }> {
  const [row] = await db
    .insert(apiTokens)
    .values({
      tokenHash: hashToken(token.secret),
      role: token.role,
      tenantId: token.tenantId,
      name: token.name,
    })
    .returning({ id: apiTokens.id, createdAt: apiTokens.createdAt });
  return row as { id: string; createdAt: Date };
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
