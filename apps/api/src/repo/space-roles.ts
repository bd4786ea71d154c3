import { type Database, schema } from "@grove/db";
import { and, asc, eq, isNull, or } from "drizzle-orm";
import { Conflict, Invalid, NotFound } from "../errors";
import { isUuid } from "../ids";

const { spaceRoles, apiTokens } = schema;

/** A developer token's role in one space. */
export type SpaceRole = (typeof schema.spaceRole.enumValues)[number];

/** One grant as listings show it. */
export interface SpaceRoleListing {
  tokenId: string;
  tokenName: string;
  role: SpaceRole;
  createdAt: Date;
}

/** The space roles of one developer token, by space id. */
export async function rolesOfToken(db: Database, tokenId: string): Promise<Map<string, SpaceRole>> {
  const rows = await db
    .select({ spaceId: spaceRoles.spaceId, role: spaceRoles.role })
    .from(spaceRoles)
    .where(eq(spaceRoles.tokenId, tokenId));
  return new Map(rows.map((row) => [row.spaceId, row.role]));
}

/** The space roles of one tenant, per space. */
export class TenantSpaceRoles {
  constructor(
    private readonly db: Database,
    readonly tenantId: string,
  ) {}

  /** The grants of a space, by token name. */
  list(spaceId: string): Promise<SpaceRoleListing[]> {
    return this.db
      .select({
        tokenId: spaceRoles.tokenId,
        tokenName: apiTokens.name,
        role: spaceRoles.role,
        createdAt: spaceRoles.createdAt,
      })
      .from(spaceRoles)
      .innerJoin(apiTokens, eq(apiTokens.id, spaceRoles.tokenId))
      .where(and(eq(spaceRoles.tenantId, this.tenantId), eq(spaceRoles.spaceId, spaceId)))
      .orderBy(asc(apiTokens.name), asc(spaceRoles.tokenId));
  }

  /**
   * Gives the token named `token` (its name or id) `role` in the space, replacing a role it had.
   * Only the tenant's unrevoked developer tokens take space roles: tenant admins may do everything.
   */
  async set(spaceId: string, token: string, role: SpaceRole): Promise<SpaceRoleListing> {
    const holder = await this.tokenNamed(token);
    if (holder.role !== "developer") {
      throw new Invalid(`token ${token} is a ${holder.role} token: only developer tokens take space roles`, [
        { field: "token", message: "must name a developer token" },
      ]);
    }
    const [row] = await this.db
      .insert(spaceRoles)
      .values({ spaceId, tokenId: holder.id, tenantId: this.tenantId, role })
      .onConflictDoUpdate({ target: [spaceRoles.spaceId, spaceRoles.tokenId], set: { role } })
      .returning();
    return {
      tokenId: holder.id,
      tokenName: holder.name,
      role,
      createdAt: (row as { createdAt: Date }).createdAt,
    };
  }

  /** Takes the token's role in the space away; `NotFound` when it had none. */
  async unset(spaceId: string, token: string): Promise<void> {
    const holder = await this.tokenNamed(token);
    const gone = await this.db
      .delete(spaceRoles)
      .where(and(eq(spaceRoles.spaceId, spaceId), eq(spaceRoles.tokenId, holder.id)))
      .returning({ tokenId: spaceRoles.tokenId });
    if (gone.length === 0) throw new NotFound(`token ${token} has no role in this space`);
  }

  /** An unrevoked token of the tenant by id or name; `Conflict` when several share the name. */
  private async tokenNamed(token: string) {
    const byIdOrName = isUuid(token)
      ? or(eq(apiTokens.id, token), eq(apiTokens.name, token))
      : eq(apiTokens.name, token);
    const rows = await this.db
      .select({ id: apiTokens.id, name: apiTokens.name, role: apiTokens.role })
      .from(apiTokens)
      .where(and(eq(apiTokens.tenantId, this.tenantId), isNull(apiTokens.revokedAt), byIdOrName));
    const exact = rows.filter((row) => row.id === token);
    const found = exact.length > 0 ? exact : rows;
    if (found.length === 0) throw new NotFound(`no token ${token}`);
    if (found.length > 1) throw new Conflict(`${found.length} tokens are named ${token}: name one by its id`);
    return found[0] as (typeof rows)[number];
  }
}
