import type { Logger } from "pino";
import type { Principal } from "../auth/principal";

/** What middleware puts on the Hono context for handlers. */
export interface ApiEnv {
  Variables: {
    requestId: string;
    log: Logger;
    /** set by the auth middleware on `/v1` routes */
    principal: Principal;
  };
}
