import { open, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jetstreamManager, type StreamConfig, type StreamState } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";

/** A JetStream backup or restore step failed: the server said why, or the stream is not whole. */
export class JetStreamBackupFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JetStreamBackupFailed";
  }
}

/** What `backupStreams` wrote of one stream. */
export interface StreamBackup {
  stream: string;
  messages: number;
  bytes: number;
}

/** The bytes of snapshot data per message (the server accepts 1 KiB – 1 MiB; 128 KiB is its default). */
const CHUNK_BYTES = 128 * 1024;
/** How long one API call or one chunk's acknowledgement may take. */
const STEP_TIMEOUT_MS = 60_000;

interface ApiError {
  error?: { code: number; err_code?: number; description: string };
}

const json = new TextEncoder();
const text = new TextDecoder();

async function apiCall<T>(nc: NatsConnection, subject: string, body: unknown): Promise<T> {
  const reply = await nc.request(subject, json.encode(JSON.stringify(body)), { timeout: STEP_TIMEOUT_MS });
  const answer = JSON.parse(text.decode(reply.data)) as T & ApiError;
  if (answer.error) throw new JetStreamBackupFailed(`${subject}: ${answer.error.description}`);
  return answer;
}

/**
 * Writes a consistent snapshot of each stream in `streams` (default: every stream of the
 * connection's account — Grove's streams and its object stores' `OBJ_…` streams) to `dir`, through
 * JetStream's snapshot API (`$JS.API.STREAM.SNAPSHOT.<stream>`, what `nats stream backup` uses):
 * `<stream>.json` holds its configuration and state, `<stream>.snapshot` the server's snapshot
 * (messages and consumers) as it came. A stream that changes meanwhile is taken at one point.
 */
export async function backupStreams(
  nc: NatsConnection,
  dir: string,
  streams?: string[],
): Promise<StreamBackup[]> {
  const jsm = await jetstreamManager(nc);
  const names: string[] = streams ?? [];
  if (!streams) for await (const name of jsm.streams.names()) names.push(name);
  names.sort();
  const done: StreamBackup[] = [];
  for (const stream of names) done.push(await backupStream(nc, dir, stream));
  return done;
}

async function backupStream(nc: NatsConnection, dir: string, stream: string): Promise<StreamBackup> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const file = await open(join(dir, `${stream}.snapshot`), "w");
  let bytes = 0;
  try {
    const answer = await apiCall<{ config: StreamConfig; state: StreamState }>(
      nc,
      `$JS.API.STREAM.SNAPSHOT.${stream}`,
      { deliver_subject: inbox, chunk_size: CHUNK_BYTES, no_consumers: false, jsck: false },
    );
    const chunks = sub[Symbol.asyncIterator]();
    for (;;) {
      const next = await withTimeout(chunks.next(), `snapshot of ${stream} stalled`);
      if (next.done) throw new JetStreamBackupFailed(`snapshot of ${stream} ended early`);
      const msg: Msg = next.value;
      if (msg.data.length === 0) {
        // the last message is empty; a status header on it means the server gave up
        const code = msg.headers?.code ?? 0;
        if (code >= 400) {
          throw new JetStreamBackupFailed(`snapshot of ${stream}: ${code} ${msg.headers?.description}`);
        }
        break;
      }
      await file.write(msg.data);
      bytes += msg.data.length;
      // answering each chunk is the flow control that lets the server send more
      if (msg.reply) msg.respond();
    }
    await file.sync();
    await writeFile(
      join(dir, `${stream}.json`),
      `${JSON.stringify({ config: answer.config, state: answer.state }, null, 2)}\n`,
    );
    return { stream, messages: answer.state.messages, bytes };
  } finally {
    sub.unsubscribe();
    await file.close();
  }
}

async function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new JetStreamBackupFailed(message)), STEP_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Puts back every stream `backupStreams` wrote to `dir`, through JetStream's restore API
 * (`$JS.API.STREAM.RESTORE.<stream>`): same name, configuration, messages (with their sequence
 * numbers) and consumers. A stream that exists is refused unless `replace`, which deletes it
 * first (an api that started on the empty cluster made empty ones). Returns what was restored.
 */
export async function restoreStreams(
  nc: NatsConnection,
  dir: string,
  options: { replace?: boolean; streams?: string[] } = {},
): Promise<StreamBackup[]> {
  const names =
    options.streams ??
    (await readdir(dir))
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.slice(0, -".json".length))
      .sort();
  const jsm = await jetstreamManager(nc);
  const done: StreamBackup[] = [];
  for (const stream of names) {
    const saved = JSON.parse(await readFile(join(dir, `${stream}.json`), "utf8")) as {
      config: StreamConfig;
      state: StreamState;
    };
    const exists = await jsm.streams.info(stream).then(
      () => true,
      () => false,
    );
    if (exists && !options.replace) {
      throw new JetStreamBackupFailed(`stream ${stream} exists (restore with replace to delete it first)`);
    }
    if (exists) await jsm.streams.delete(stream);
    const { deliver_subject } = await apiCall<{ deliver_subject: string }>(
      nc,
      `$JS.API.STREAM.RESTORE.${stream}`,
      saved,
    );
    const file = await open(join(dir, `${stream}.snapshot`), "r");
    let bytes = 0;
    try {
      const buffer = new Uint8Array(CHUNK_BYTES);
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, CHUNK_BYTES);
        if (bytesRead === 0) break;
        // each chunk is acknowledged (an empty reply, or an error)
        const ack = await nc.request(deliver_subject, buffer.slice(0, bytesRead), {
          timeout: STEP_TIMEOUT_MS,
        });
        if (ack.data.length > 0) {
          const answer = JSON.parse(text.decode(ack.data)) as ApiError;
          if (answer.error)
            throw new JetStreamBackupFailed(`restore of ${stream}: ${answer.error.description}`);
        }
        bytes += bytesRead;
      }
    } finally {
      await file.close();
    }
    // an empty message ends the upload; the answer comes once the stream is back
    const end = await nc.request(deliver_subject, new Uint8Array(0), { timeout: STEP_TIMEOUT_MS });
    const answer = JSON.parse(text.decode(end.data)) as ApiError & { state?: StreamState };
    if (answer.error) throw new JetStreamBackupFailed(`restore of ${stream}: ${answer.error.description}`);
    const messages = answer.state?.messages ?? 0;
    if (messages !== saved.state.messages) {
      throw new JetStreamBackupFailed(
        `restore of ${stream}: ${messages} messages back of ${saved.state.messages} saved`,
      );
    }
    done.push({ stream, messages, bytes });
  }
  return done;
}
