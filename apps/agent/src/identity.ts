import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JOIN_INBOX_PREFIX, type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import { decode, encode, RegisterCellReply, RegisterCellRequest, subjects } from "@grove/protocol";
import { createUser } from "@nats-io/nkeys";
import { connect } from "@nats-io/transport-node";

export interface CellIdentity {
  cellId: string;
  credential: string;
  /** the cell's NATS user: its nkey seed (made here, never sent) and the JWT the api signed for it */
  natsSeed: string;
  natsJwt: string;
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

/**
 * The cell's identity: read from the state dir, or obtained once by registering with the join token
 * (over a connection with the bootstrap `join` credentials of `nats`, which may only ask to
 * register) and stored there (mode 0600) before anything else happens. The cell's NATS key pair is
 * made here; only its public key is sent.
 */
export async function loadOrJoin(
  nats: NatsAccess,
  stateDir: string,
  request: () => Omit<RegisterCellRequest, "v" | "joinToken" | "publicKey">,
  joinToken: string | undefined,
): Promise<CellIdentity & { joined: boolean }> {
  const stored = await readIdentity(stateDir);
  if (stored) return { ...stored, joined: false };
  if (!joinToken)
    throw new JoinRefused("no-join-token", "this cell has not joined yet: set GROVE_JOIN_TOKEN");
  const user = createUser();
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
    answer = await bootstrap.request(subjects.register, body, { timeout: 10_000 });
  } finally {
    await bootstrap.close();
  }
  const reply = decode(RegisterCellReply, answer.data, subjects.register);
  if (!reply.ok)
    throw new JoinRefused("invalid-reply", `the control plane answered badly: ${reply.error.message}`);
  if (!reply.value.ok) throw new JoinRefused(reply.value.code, `join refused: ${reply.value.error}`);
  const identity = {
    cellId: reply.value.cellId,
    credential: reply.value.credential,
    natsSeed: new TextDecoder().decode(user.getSeed()),
    natsJwt: reply.value.jwt,
  };
  await writeIdentity(stateDir, identity);
  return { ...identity, joined: true };
}

export async function readIdentity(stateDir: string): Promise<CellIdentity | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(stateDir, FILE), "utf8")) as CellIdentity;
    return parsed.cellId && parsed.credential && parsed.natsSeed ? parsed : undefined;
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
