import {
  Algorithms,
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromPublic,
  fromSeed,
  type KeyPair,
  type Permissions,
} from "@nats-io/jwt";
import { seedSigner } from "./seed-signer";

/**
 * The keys that make a Grove NATS deployment (NATS decentralized auth): an operator, the system
 * account (the server's own, used to push account updates) and the GROVE account every component
 * lives in. Whoever holds these is the authority: the api, which signs users for cells and
 * revocations into the account. Stored as JSON, mode 0600 (`GROVE_NATS_AUTHORITY`).
 */
export interface AuthoritySecrets {
  v: 1;
  operatorSeed: string;
  systemAccountSeed: string;
  accountSeed: string;
}

/** A user's permissions: subjects it may publish and subscribe, and whether it may answer requests. */
export type UserPermissions = Permissions;

/** users whose JWT was issued at or before the time (unix seconds) no longer authenticate */
export type Revocations = Record<string, number>;

const text = new TextDecoder();
/** no limits on connections, subscriptions or payloads (left out, NATS reads them as 0) */
const connections = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
};
const opts = { algorithm: Algorithms.v2 };

/** Fresh keys for a new deployment. */
export function newAuthoritySecrets(): AuthoritySecrets {
  const seed = (kp: KeyPair) => text.decode(kp.getSeed());
  return {
    v: 1,
    operatorSeed: seed(createOperator()),
    systemAccountSeed: seed(createAccount()),
    accountSeed: seed(createAccount()),
  };
}

/** Public keys of the authority's operator and accounts. */
export function authorityIds(secrets: AuthoritySecrets): {
  operator: string;
  systemAccount: string;
  account: string;
} {
  return {
    operator: publicOf(secrets.operatorSeed),
    systemAccount: publicOf(secrets.systemAccountSeed),
    account: publicOf(secrets.accountSeed),
  };
}

/** The operator JWT the servers trust (`operator:` in their config). */
export function operatorJwt(secrets: AuthoritySecrets): Promise<string> {
  return encodeOperator(
    "grove",
    fromSeed(bytes(secrets.operatorSeed)),
    { system_account: publicOf(secrets.systemAccountSeed) },
    opts,
  );
}

/** The system account's JWT (servers publish their events there; updates are pushed from it). */
export function systemAccountJwt(secrets: AuthoritySecrets): Promise<string> {
  return encodeAccount(
    "SYS",
    fromSeed(bytes(secrets.systemAccountSeed)),
    { limits: connections },
    {
      ...opts,
      signer: fromSeed(bytes(secrets.operatorSeed)),
    },
  );
}

/**
 * When the servers' preloaded GROVE account JWT says it was issued (2020-01-01): before any update
 * the api pushes. A `full` resolver keeps, of two JWTs of an account, the one issued later, also
 * when a server starts with a preload; a preload issued at start-up would replace the pushed JWT
 * on disk and bring removed cells' users back after a restart.
 */
export const PRELOAD_ISSUED_AT = 1_577_836_800;

/**
 * The GROVE account's JWT: JetStream without limits, and the revoked users. A revocation takes
 * effect on every server (connected users are disconnected) when this JWT is pushed to the system
 * account's `$SYS.REQ.ACCOUNT.<id>.CLAIMS.UPDATE`. `issuedAt` (unix seconds) defaults to now.
 */
export async function accountJwt(
  secrets: AuthoritySecrets,
  revocations: Revocations = {},
  issuedAt?: number,
): Promise<string> {
  const signer = fromSeed(bytes(secrets.operatorSeed));
  const jwt = await encodeAccount(
    "GROVE",
    fromSeed(bytes(secrets.accountSeed)),
    {
      limits: {
        ...connections,
        mem_storage: -1,
        disk_storage: -1,
        streams: -1,
        consumer: -1,
      },
      revocations,
    },
    { ...opts, signer },
  );
  return issuedAt === undefined ? jwt : reissued(jwt, issuedAt, signer);
}

/**
 * The same JWT with `iat` set (the library always stamps now): its id (the SHA-512 of the claims
 * without it, as the library makes it) and signature made again.
 */
async function reissued(jwt: string, iat: number, signer: KeyPair): Promise<string> {
  const [header = "", body = ""] = jwt.split(".");
  const { jti: _old, ...claims } = JSON.parse(Buffer.from(body, "base64url").toString()) as {
    jti: string;
    iat: number;
  };
  claims.iat = iat;
  const hash = await crypto.subtle.digest("SHA-512", new TextEncoder().encode(JSON.stringify(claims)));
  const payload = Buffer.from(JSON.stringify({ ...claims, jti: Buffer.from(hash).toString("base64") }));
  const signed = `${header}.${payload.toString("base64url")}`;
  return `${signed}.${Buffer.from(signer.sign(new TextEncoder().encode(signed))).toString("base64url")}`;
}

/** A user JWT of the GROVE account for `userPublicKey` (whose seed its owner keeps). */
export function userJwt(
  secrets: AuthoritySecrets,
  name: string,
  userPublicKey: string,
  permissions: UserPermissions,
  account: "grove" | "system" = "grove",
): Promise<string> {
  const accountSeed = account === "grove" ? secrets.accountSeed : secrets.systemAccountSeed;
  return encodeUser(name, fromPublic(userPublicKey), seedSigner(accountSeed), permissions, opts);
}

/** A `.creds` file (JWT + seed) for a new user with `permissions`, for a component's role. */
export async function userCreds(
  secrets: AuthoritySecrets,
  name: string,
  permissions: UserPermissions,
  account: "grove" | "system" = "grove",
): Promise<Uint8Array> {
  const user = createUser();
  const jwt = await userJwt(secrets, name, user.getPublicKey(), permissions, account);
  return fmtCreds(jwt, user);
}

function publicOf(seed: string): string {
  return fromSeed(bytes(seed)).getPublicKey();
}

function bytes(seed: string): Uint8Array {
  return new TextEncoder().encode(seed);
}
