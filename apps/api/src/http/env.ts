import type { Logger } from "pino";
import type { Access } from "../auth/access";
import type { Principal } from "../auth/principal";
import type { TenantRow } from "../repo/tenants";

/** What middleware puts on the Hono context for handlers. */
export interface ApiEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** set by the auth middleware on `/v1` routes */
    principal: Principal;
    /** the tenant an operator's request names, looked up while its token was checked */
    namedTenant?: Promise<TenantRow>;
    /** what the caller may reach in its tenant, made by `accessOf` on first use */
    access?: Access;
    /** set by a handler whose response holds a secret shown once: the idempotency cache leaves it out */
    secretField?: string;
  };
}
