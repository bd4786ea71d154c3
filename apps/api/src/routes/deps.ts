import type { Database } from "@grove/db";
import type { AuthoritySecrets } from "@grove/nats-auth";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TokenWatch } from "../auth/token-watch";
import type { Config } from "../config";
import type { TenantLogStreams } from "../logs/stream";
import type { ApiMetrics } from "../metrics";
import type { BitsStore } from "../nats/bits-store";

/** What route handlers use. */
export interface RouteDeps {
  config: Config;
  db: Database;
  nc: NatsConnection;
  bits: BitsStore;
  /** each tenant's logs stream */
  logStreams: TenantLogStreams;
  /** the NATS authority: removing a cell revokes its user in the account */
  authority: AuthoritySecrets;
  metrics: ApiMetrics;
  /** ends open streams (log follow, exec output) whose token is revoked or expires */
  tokenWatch: TokenWatch;
  /** Tells the leader that desired state changed, so placement runs now rather than at its interval. */
  desiredStateChanged(): void;
  /** Announces a network policy or egress change: the leader sends every cell its slice at once. */
  policyChanged(): void;
}
