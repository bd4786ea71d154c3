import { mkdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateDatabase } from "@grove/db";
import { exists, initdb, postgresBinDir, startPostgresServer, systemUser } from "@grove/services";
import { execa } from "execa";
import { freePort } from "./ports";
import { makeTempDir } from "./temp";

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/postgres — trust auth, loopback only */
  url: string;
  port: number;
  /** the directory holding the data dir and the unix socket */
  dir: string;
  /** a new empty database on this server, with Grove's migrations applied */
  createDatabase(name: string): Promise<string>;
  /** stops the server (fast shutdown, clients cut off) and starts it again on the same port and data */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const TEMPLATE_VERSION = "pg15-v1";

/**
 * Starts a throwaway PostgreSQL server: a copy of a cached initdb template, fsync off, on a free
 * loopback port and a unix socket in its own temp dir, with Grove's migrations applied. `stop()`
 * shuts it down and deletes everything.
 */
export async function startPostgres(
  options: { migrate?: boolean; settings?: Readonly<Record<string, string>> } = {},
): Promise<TestPostgres> {
  const template = await ensureTemplate();
  const temp = await makeTempDir("grove-pg-");
  const dataDir = join(temp.path, "data");
  await execa("cp", ["-a", template, dataDir]);
  let server: Awaited<ReturnType<typeof startPostgresServer>> | undefined;
  const launch = (port: number) =>
    startPostgresServer({ dataDir, socketDir: temp.path, port, durable: false, settings: options.settings });
  const stop = async () => {
    await server?.stop();
    await temp.remove();
  };
  try {
    server = await launch(await freePort());
    if (options.migrate !== false) await migrateDatabase(server.url);
  } catch (error) {
    await stop();
    throw error;
  }
  const port = server.port;
  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    url: server.url,
    port,
    dir: temp.path,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
      await execa(join(postgresBinDir, "psql"), [server?.url ?? "", "-qc", `create database ${name}`]);
      await migrateDatabase(urlFor(name));
      return urlFor(name);
    },
    async restart() {
      await server?.stop();
      server = await launch(port);
    },
    stop,
  };
}

/** initdb once per machine and template version; later servers start from a copy (~10× faster). */
async function ensureTemplate(): Promise<string> {
  const root = join(tmpdir(), "grove-testkit");
  const template = join(root, TEMPLATE_VERSION);
  if (await exists(join(template, "PG_VERSION"))) return template;
  await mkdir(root, { recursive: true });
  const building = `${template}.${process.pid}.tmp`;
  await rm(building, { recursive: true, force: true });
  const pgUser = systemUser("postgres");
  await mkdir(building, { mode: 0o700 });
  await execa("chown", [`${pgUser.uid}:${pgUser.gid}`, building]);
  await initdb(building);
  try {
    await rename(building, template);
  } catch (error) {
    await rm(building, { recursive: true, force: true });
    if (!(await exists(join(template, "PG_VERSION")))) throw error;
  }
  return template;
}
