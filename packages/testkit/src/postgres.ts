import { spawn } from "node:child_process";
import { chown, mkdir, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "@grove/db";
import { execa } from "execa";
import { stopChild, waitForOutput } from "./child";
import { freePort } from "./ports";
import { postgresBinDir } from "./requirements";
import { systemUser } from "./system-user";
import { makeTempDir } from "./temp";

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres — trust auth, loopback only */
  url: string;
  port: number;
  /** the directory holding the data dir and the unix socket */
  dir: string;
  /** a new empty database on this server, with Grove's migrations applied */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

const TEMPLATE_VERSION = "pg15-v1";

/**
 * Starts a throwaway PostgreSQL server as the `postgres` user (Postgres refuses root): a copy of a
 * cached initdb template, fsync off, on a free loopback port and a unix socket in its own temp dir,
 * with Grove's migrations applied. `stop()` shuts it down and deletes everything.
 */
export async function startPostgres(options: { migrate?: boolean } = {}): Promise<TestPostgres> {
  const pgUser = systemUser("postgres");
  const template = await ensureTemplate(pgUser);
  const temp = await makeTempDir("grove-pg-");
  await chown(temp.path, pgUser.uid, pgUser.gid);
  const dataDir = join(temp.path, "data");
  await execa("cp", ["-a", template, dataDir]);
  const port = await freePort();
  const child = spawn(
    join(postgresBinDir, "postgres"),
    [
      ...["-D", dataDir, "-k", temp.path, "-p", String(port)],
      ...["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"],
      ...["-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB"],
    ],
    { uid: pgUser.uid, gid: pgUser.gid, stdio: ["ignore", "pipe", "pipe"] },
  );
  const stop = async () => {
    await stopChild(child, "SIGINT");
    await temp.remove();
  };
  try {
    await waitForOutput(child, /ready to accept connections/, 30_000, "postgres");
  } catch (error) {
    await stop();
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const url = urlFor("postgres");
  try {
    if (options.migrate !== false) await migrateDatabase(url);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    port,
    dir: temp.path,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
      await execa(join(postgresBinDir, "psql"), [url, "-qc", `create database ${name}`]);
      await migrateDatabase(urlFor(name));
      return urlFor(name);
    },
    stop,
  };
}

/** initdb once per machine and template version; later servers start from a copy (~10× faster). */
async function ensureTemplate(pgUser: { uid: number; gid: number }): Promise<string> {
  const root = join(tmpdir(), "grove-testkit");
  const template = join(root, TEMPLATE_VERSION);
  if (await exists(join(template, "PG_VERSION"))) return template;
  await mkdir(root, { recursive: true });
  const building = `${template}.${process.pid}.tmp`;
  await rm(building, { recursive: true, force: true });
  await mkdir(building, { mode: 0o700 });
  await chown(building, pgUser.uid, pgUser.gid);
  await execa(
    join(postgresBinDir, "initdb"),
    ["-D", building, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
    { uid: pgUser.uid, gid: pgUser.gid, cwd: root },
  );
  try {
    await rename(building, template);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (!(await exists(join(template, "PG_VERSION")))) throw error;
  }
  return template;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
