import type { Database } from "@grove/db";
import type { Context, MiddlewareHandler } from "hono";
import { type AppView, appView } from "../apps/schemas";
import { Forbidden, Invalid, NotFound } from "../errors";
import type { ApiEnv } from "../http/env";
import { type SpacedAppRow, TenantApps } from "../repo/apps";
import { rolesOfToken, type SpaceRole } from "../repo/space-roles";
import { type SpaceRow, TenantSpaces } from "../repo/spaces";
import { type TenantRow, tenantById, tenantByName } from "../repo/tenants";
import type { Principal } from "./principal";
import { tenantIdOf } from "./tenant-scope";

/**
 * Who may call a route, declared once on the route (`guard`) and shown in the OpenAPI document as
 * `x-grove-access`:
 * - `operator`: operators only;
 * - `tenant_admin`: tenant admins (of the tenant acted in) and operators;
 * - `member`: anyone of the tenant acted in (tenant-wide reads, things bound to the caller);
 * - `space`: decided per space by `Access`: a developer token needs `developer` in the space to
 *   change (any method but GET/HEAD) and `viewer` or `developer` to read; without a role the space
 *   and all in it are 404. Tenant admins and operators may do everything.
 *   Like Cloud Foundry's SpaceAuditor, a viewer reads apps without their env (`appView`) and
 *   reads logs, but cannot exec (a change) into instances.
 */
export type AccessLevel = "operator" | "tenant_admin" | "member" | "space";

/** What a request does to a space's things. */
export type Need = "read" | "write";

/** GET and HEAD read; every other method writes. */
export const needOf = (method: string): Need => (method === "GET" || method === "HEAD" ? "read" : "write");

/** The part of a route's config that declares and enforces its access level. */
export function guard<L extends AccessLevel>(level: L) {
  return { middleware: authorize(level), "x-grove-access": level } as const;
}

/** Refuses (403) a principal whose role is below the route's level, before the body is read. */
export function authorize(level: AccessLevel): MiddlewareHandler<ApiEnv> {
  return async function authorizeRole(c, next) {
    const { role } = c.get("principal");
    if (level === "operator" && role !== "operator") throw new Forbidden("this needs an operator token");
    if (level === "tenant_admin" && role === "developer")
      throw new Forbidden("this needs a tenant admin or operator token");
    await next();
  };
}

/**
 * What the caller may reach in the tenant it acts in. Handlers take spaces and apps from here,
 * so the role check cannot be forgotten: a space the caller has no role in is `NotFound`, a
 * change in a space where it only views is `Forbidden`.
 */
export class Access {
  readonly apps: TenantApps;
  readonly spaces: TenantSpaces;

  constructor(
    db: Database,
    readonly principal: Principal,
    readonly tenantId: string,
    /** a developer token's roles by space id; null for tenant admins and operators (every space) */
    private readonly roles: Map<string, SpaceRole> | null,
    /** what the request does, from its method */
    readonly need: Need,
  ) {
    this.apps = new TenantApps(db, tenantId);
    this.spaces = new TenantSpaces(db, tenantId);
  }

  /** Ids of the spaces the caller sees; undefined when it sees all of the tenant's. */
  get visibleSpaceIds(): string[] | undefined {
    return this.roles === null ? undefined : [...this.roles.keys()];
  }

  /** The caller's role in a space: `admin` for tenant admins and operators, null for none. */
  roleIn(spaceId: string): SpaceRole | "admin" | null {
    if (this.roles === null) return "admin";
    return this.roles.get(spaceId) ?? null;
  }

  /**
   * `NotFound` unless the caller has a role in the space (naming `thing`, by default the space);
   * `Forbidden` for a change by a viewer.
   */
  check(space: { id: string; name: string }, need: Need = this.need, thing = `space ${space.name}`): void {
    const role = this.roleIn(space.id);
    if (role === null) throw new NotFound(`no ${thing}`);
    if (need === "write" && role === "viewer")
      throw new Forbidden(`a viewer of space ${space.name} cannot change it (this needs the developer role)`);
  }

  /**
   * An app as this caller may see it: without `env` for a viewer of its space (env values are
   * secrets, as `cf env` is refused to a SpaceAuditor). Every route shows apps through here.
   */
  appView(row: SpacedAppRow): AppView {
    const view = appView(row);
    if (this.roleIn(row.spaceId) !== "viewer") return view;
    const { env: _secret, ...rest } = view;
    return rest;
  }

  /** A space of the tenant by name, checked. */
  async space(name: string, need: Need = this.need): Promise<SpaceRow> {
    const space = await this.spaces.get(name);
    this.check(space, need);
    return space;
  }

  /**
   * An app by name, checked against its space's role. Without `spaceName`, the one app of that
   * name among the spaces the caller sees (`Invalid` naming the spaces when there are several).
   */
  async app(name: string, spaceName?: string, need: Need = this.need): Promise<SpacedAppRow> {
    if (spaceName !== undefined) {
      const space = await this.space(spaceName, need);
      return this.apps.get({ spaceId: space.id, name }, space.name);
    }
    const named = (await this.apps.named(name)).filter((row) => this.roleIn(row.spaceId) !== null);
    const [only] = named;
    if (!only) throw new NotFound(`no app ${name}`);
    if (named.length > 1) {
      const spaces = named.map((row) => row.spaceName).join(", ");
      throw new Invalid(`app ${name} is in spaces ${spaces}: name one with space`, [
        { field: "space", message: `one of ${spaces}` },
      ]);
    }
    this.check({ id: only.spaceId, name: only.spaceName }, need);
    return only;
  }
}

/** The request's `Access`, made once per request (its roles read from Postgres, like its token). */
export async function accessOf(c: Context<ApiEnv>, db: Database): Promise<Access> {
  const made = c.get("access");
  if (made) return made;
  const principal = c.get("principal");
  const tenantId = await tenantIdOf(c, db);
  const roles = principal.role === "developer" ? await rolesOfToken(db, principal.tokenId) : null;
  const access = new Access(db, principal, tenantId, roles, needOf(c.req.method));
  c.set("access", access);
  return access;
}

/**
 * A tenant named in a path, as the caller may see it: operators see every tenant, members only
 * their own (any other is `NotFound`, as if it did not exist).
 */
export async function visibleTenant(c: Context<ApiEnv>, db: Database, name: string): Promise<TenantRow> {
  const principal = c.get("principal");
  const row =
    principal.role === "operator" ? await tenantByName(db, name) : await tenantById(db, principal.tenantId);
  if (row.name !== name) throw new NotFound(`no tenant ${name}`);
  return row;
}
