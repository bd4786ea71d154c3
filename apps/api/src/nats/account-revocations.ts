import type { Database } from "@grove/db";
import {
  type AuthoritySecrets,
  accountJwt,
  authorityIds,
  natsConnectOptions,
  userCreds,
} from "@grove/nats-auth";
import { connect } from "@nats-io/transport-node";
import type { Config } from "../config";
import { removedCellNatsKeys } from "../repo/cells";

/** What pushing the GROVE account's revocations needs. */
export interface RevocationDeps {
  config: Pick<Config, "NATS_URL" | "GROVE_NATS_CA">;
  db: Database;
  authority: AuthoritySecrets;
}

/**
 * Pushes the GROVE account JWT with every removed cell's NATS user revoked (the full set, read from
 * Postgres, so any replica can rebuild it) to `$SYS.REQ.ACCOUNT.<id>.CLAIMS.UPDATE`, over a
 * short-lived connection as a system-account user. The servers disconnect revoked users at once and
 * refuse them from then on; their `full` resolver keeps the JWT on disk.
 */
export async function pushAccountRevocations(deps: RevocationDeps): Promise<void> {
  const revocations = await removedCellNatsKeys(deps.db);
  const jwt = await accountJwt(deps.authority, revocations);
  const creds = await userCreds(deps.authority, "api-system", {}, "system");
  const nc = await connect({
    ...(await natsConnectOptions({ url: deps.config.NATS_URL, caFile: deps.config.GROVE_NATS_CA, creds })),
    name: "grove-api-system",
  });
  try {
    const account = authorityIds(deps.authority).account;
    const reply = await nc.request(`$SYS.REQ.ACCOUNT.${account}.CLAIMS.UPDATE`, jwt, { timeout: 5_000 });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { error?: { description?: string } };
    if (answer.error) throw new Error(`account update refused: ${answer.error.description ?? "unknown"}`);
  } finally {
    await nc.close();
  }
}
