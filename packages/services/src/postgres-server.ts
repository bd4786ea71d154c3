import { spawn } from "node:child_process";
import { chown, mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { runChild } from "@grove/child";
import { stopChild, waitForOutput } from "./child";
import { DirectoryNotReachable, firstBlocker } from "./reachable";
import { systemUser } from "./system-user";

/** Where Debian's PostgreSQL 15 server binaries live. */
export const postgresBinDir = "/usr/lib/postgresql/15/bin";

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres (trust auth on loopback) */
  url: string;
  port: number;
  pid: number;
  /** fast shutdown (SIGINT), waits for the server to exit */
  stop(): Promise<void>;
}

export interface PostgresServerOptions {
  /** data directory; initdb'd when it has no PG_VERSION */
  dataDir: string;
  /** directory for the unix socket (keep it short: socket paths are limited to ~107 bytes) */
  socketDir: string;
  port: number;
  /** fsync and friends off: for tests, where durability across power loss does not matter */
  durable: boolean;
  /**
   * server settings (`name: value`), given on the command line after the defaults here: they win
   * over those and over `ALTER SYSTEM`, which a command-line setting (as the 32 MB of shared buffers)
   * silently outranks
   */
  settings?: Readonly<Record<string, string>>;
}

/**
 * Starts PostgreSQL as the `postgres` user (it refuses to run as root) on 127.0.0.1:port and a
 * unix socket, initialising the data directory first when it is empty. Throws DirectoryNotReachable
 * up front when the postgres user could not reach either directory, and ChildFailed (with the
 * server's own last lines) when initdb or the server fails.
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer> {
  const pgUser = systemUser("postgres");
  await ensureReachable(pgUser, [options.dataDir, options.socketDir]);
  for (const dir of [options.dataDir, options.socketDir]) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chown(dir, pgUser.uid, pgUser.gid);
  }
  if (!(await exists(join(options.dataDir, "PG_VERSION")))) await initdb(options.dataDir);
  const tuning = options.durable
    ? []
    : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"];
  const child = spawn(
    join(postgresBinDir, "postgres"),
    [
      ...["-D", options.dataDir, "-k", options.socketDir, "-p", String(options.port)],
      ...["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200", "-c", "shared_buffers=32MB"],
      ...tuning,
      ...Object.entries(options.settings ?? {}).flatMap(([name, value]) => ["-c", `${name}=${value}`]),
    ],
    { uid: pgUser.uid, gid: pgUser.gid, stdio: ["ignore", "pipe", "pipe"] },
  );
  try {
    await waitForOutput(
      child,
      /ready to accept connections/,
      30_000,
      "postgres",
      `If another server holds port ${options.port} or its socket in ${options.socketDir}, stop it or choose another port; otherwise fix what postgres says about ${options.dataDir}.`,
    );
  } catch (error) {
    await stopChild(child, "SIGINT");
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `postgres://postgres@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    pid: child.pid as number,
    stop: () => stopChild(child, "SIGINT", 30_000),
  };
}

/** initdb as the postgres user: trust auth (loopback and socket only), UTF-8, no sync. */
export async function initdb(dataDir: string): Promise<void> {
  const pgUser = systemUser("postgres");
  await ensureReachable(pgUser, [dataDir]);
  await runChild(
    join(postgresBinDir, "initdb"),
    ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
    {
      uid: pgUser.uid,
      gid: pgUser.gid,
      cwd: "/",
      hint: `Give the postgres user an empty directory it owns at ${dataDir} (or remove it to start afresh).`,
    },
  );
}

/** Refuses dirs the postgres user could not reach; one of `dirs` above another is handed to it, so passes. */
async function ensureReachable(pgUser: { uid: number; gid: number }, dirs: string[]): Promise<void> {
  const handedOver = new Set(dirs.map((dir) => resolve(dir)));
  for (const dir of dirs) {
    const blocker = await firstBlocker(dir, pgUser);
    if (blocker && !handedOver.has(blocker.dir)) throw new DirectoryNotReachable("postgres", dir, blocker);
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
