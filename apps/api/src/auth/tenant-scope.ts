import type { Database } from "@grove/db";
import type { Context } from "hono";
import { Invalid } from "../errors";
import type { ApiEnv } from "../http/env";
import { tenantByName } from "../repo/tenants";

/** Header an operator uses to act inside one tenant. */
export const TENANT_HEADER = "X-Grove-Tenant";

/**
 * The tenant a request acts in: a tenant member's own tenant (whatever it asks for), or for an
 * operator the tenant named by `X-Grove-Tenant`.
 */
export async function tenantIdOf(c: Context<ApiEnv>, db: Database): Promise<string> {
  const principal = c.get("principal");
  if (principal.role !== "operator") return principal.tenantId;
  const name = c.req.header(TENANT_HEADER);
  if (!name) {
    throw new Invalid(`operators name the tenant to act in with the ${TENANT_HEADER} header`, [
      { field: TENANT_HEADER, message: "required for operator tokens" },
    ]);
  }
  return (await (c.get("namedTenant") ?? tenantByName(db, name))).id;
}
