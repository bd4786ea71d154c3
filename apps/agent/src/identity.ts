import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JOIN_INBOX_PREFIX, type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import {
  type CellNetwork,
  decode,
  encode,
  RegisterCellReply,
  RegisterCellRequest,
  subjects,
} from "@grove/protocol";
import { createUser, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { connect, RequestError, TimeoutError } from "@nats-io/transport-node";

export interface CellIdentity {
  cellId: string;
  /** the cell's NATS user: its nkey seed (made here, never sent) and the JWT the api signed for it */
  natsSeed: string;
  natsJwt: string;
  /** the container subnet leased at join and the cluster network (absent for cells that joined before leases) */
  network?: CellNetwork;
}

/** Why the agent could not join: a one-line reason an operator can act on. */
export class JoinRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "JoinRefused";
  }
}

const FILE = "identity.json";
/** the NATS seed made for a join not yet answered, so a retry (or a restarted agent) sends the same key */
const JOIN_KEY_FILE = "join-key";
const JOIN_ATTEMPTS = 3;

/**
 * The cell's identity: read from the state dir, or obtained once by registering with the join token
 * (over a connection with the bootstrap `join` credentials of `nats`, which may only ask to
 * register) and stored there (mode 0600) before anything else happens. The cell's NATS key pair is
 * made here and stored before the first request; only its public key is sent. A request whose
 * reply does not come is sent again with the same key: the api answers a retry with the same cell
 * without spending another use of the token.
 */
export async function loadOrJoin(
  nats: NatsAccess,
  stateDir: string,
  request: () => Omit<RegisterCellRequest, "v" | "joinToken" | "publicKey">,
  joinToken: string | undefined,
  timeoutMs = 10_000,
): Promise<CellIdentity & { joined: boolean }> {
  const stored = await readIdentity(stateDir);
  if (stored) return { ...stored, joined: false };
  if (!joinToken)
    throw new JoinRefused("no-join-token", "this cell has not joined yet: set GROVE_JOIN_TOKEN");
  const user = await joinKey(stateDir);
  const body = encode(RegisterCellRequest, {
    v: 1,
    joinToken,
    ...request(),
    publicKey: user.getPublicKey(),
  });
  const bootstrap = await connect({
    ...(await natsConnectOptions(nats)),
    name: "grove-agent-join",
    inboxPrefix: JOIN_INBOX_PREFIX,
  });
  let answer: Awaited<ReturnType<typeof bootstrap.request>>;
  try {
    answer = await requestWithRetries(() =>
      bootstrap.request(subjects.register, body, { timeout: timeoutMs }),
    );
  } finally {
    await bootstrap.close();
  }
  const reply = decode(RegisterCellReply, answer.data, subjects.register);
  if (!reply.ok)
    throw new JoinRefused("invalid-reply", `the control plane answered badly: ${reply.error.message}`);
  if (!reply.value.ok) throw new JoinRefused(reply.value.code, `join refused: ${reply.value.error}`);
  const identity = {
    cellId: reply.value.cellId,
    natsSeed: new TextDecoder().decode(user.getSeed()),
    natsJwt: reply.value.jwt,
    ...(reply.value.network ? { network: reply.value.network } : {}),
  };
  await writeIdentity(stateDir, identity);
  await rm(join(stateDir, JOIN_KEY_FILE), { force: true });
  return { ...identity, joined: true };
}

/**
 * Sends a request again (after a pause) when its reply timed out or nobody answered yet (the api
 * may be starting); the api may have acted on a request whose reply was lost.
 */
async function requestWithRetries<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const transient = error instanceof TimeoutError || error instanceof RequestError;
      if (!transient || attempt >= JOIN_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
  }
}

/** The key pair of the pending join: the stored one, or a new one stored (0600) before it is used. */
async function joinKey(stateDir: string): Promise<KeyPair> {
  const path = join(stateDir, JOIN_KEY_FILE);
  try {
    return fromSeed(new TextEncoder().encode((await readFile(path, "utf8")).trim()));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const user = createUser();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(`${path}.tmp`, new TextDecoder().decode(user.getSeed()), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return user;
}

export async function readIdentity(stateDir: string): Promise<CellIdentity | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(stateDir, FILE), "utf8")) as CellIdentity & {
      credential?: string;
    };
    if (!parsed.cellId || !parsed.natsSeed || !parsed.natsJwt) return undefined;
    // a cell that joined before messages lost their credential may still have one stored: unused
    const { credential: _unused, ...identity } = parsed;
    return identity;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function writeIdentity(stateDir: string, identity: CellIdentity): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(identity), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
