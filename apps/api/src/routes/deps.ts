import type { Database } from "@grove/db";
import type { AuthoritySecrets } from "@grove/nats-auth";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Config } from "../config";
import type { ApiMetrics } from "../metrics";
import type { BitsStore } from "../nats/bits-store";

/** What route handlers use. */
export interface RouteDeps {
  config: Config;
  db: Database;
  nc: NatsConnection;
  bits: BitsStore;
  /** the NATS authority: removing a cell revokes its user in the account */
  authority: AuthoritySecrets;
  metrics: ApiMetrics;
  /** Tells the leader that desired state changed, so placement runs now rather than at its interval. */
  desiredStateChanged(): void;
}
