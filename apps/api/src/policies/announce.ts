import type { Database } from "@grove/db";
import { encode, PolicyChanged, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import { currentPolicyRevision, policyFingerprint } from "../repo/policies";

/** Tells every cell the policy changed (at the revision now in Postgres): each pulls its slice. */
export async function announcePolicyChange(db: Database, nc: NatsConnection): Promise<number> {
  const revision = await currentPolicyRevision(db);
  if (!nc.isClosed()) nc.publish(subjects.policyChanged, encode(PolicyChanged, { v: 1, revision }));
  return revision;
}

/**
 * Announces the policy revision when what the slices are cut from changed since the last call: the
 * rules (their revision), the running addresses or the cells in service. The leader calls it after
 * every round, so a new instance's address, a stopped one or a lost cell reaches the cells' rules
 * within a round; a first call always announces. Returns whether it announced.
 */
export function policyAnnouncer(db: Database, nc: NatsConnection): () => Promise<boolean> {
  let last: string | undefined;
  return async () => {
    const { revision, fingerprint } = await policyFingerprint(db);
    if (fingerprint === last) return false;
    if (!nc.isClosed()) nc.publish(subjects.policyChanged, encode(PolicyChanged, { v: 1, revision }));
    last = fingerprint;
    return true;
  };
}
