import { readFile } from "node:fs/promises";
import { connectDatabase, migrateDatabase } from "@grove/db";
import { type AuthoritySecrets, natsConnectOptions } from "@grove/nats-auth";
import { serve } from "@hono/node-server";
import { connect } from "@nats-io/transport-node";
import pino from "pino";
import { createApi } from "./api";
import { InvalidConfig, loadConfig } from "./config";

/**
 * The api process: config → migrations → Postgres and NATS → HTTP server → NATS responders and
 * leader loops. SIGTERM/SIGINT stop it in reverse order; a second signal exits at once.
 */
async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof InvalidConfig)) throw error;
    process.stderr.write(`grove-api: ${error.message}\n`);
    process.exit(2);
  }
  const log = pino({ level: config.GROVE_LOG_LEVEL }).child({ component: "api" });
  await migrateDatabase(config.DATABASE_URL);
  const database = connectDatabase(config.DATABASE_URL);
  const authority = JSON.parse(await readFile(config.GROVE_NATS_AUTHORITY, "utf8")) as AuthoritySecrets;
  const natsAccess = {
    url: config.NATS_URL,
    caFile: config.GROVE_NATS_CA,
    credsFile: config.GROVE_NATS_CREDS,
  };
  const nc = await connect({
    ...(await natsConnectOptions(natsAccess)),
    name: "grove-api",
    maxReconnectAttempts: -1,
  });
  const api = createApi({ config, db: database.db, nc, authority, log, defaultMetrics: true });
  await api.start();
  const server = serve(
    { fetch: api.app.fetch, port: config.GROVE_API_PORT, hostname: config.GROVE_API_HOST },
    (info) =>
      log.info(
        { address: info.address, port: info.port, roles: [...config.GROVE_API_ROLES] },
        config.GROVE_API_ROLES.has("http") ? "api listening" : "api listening (health and metrics only)",
      ),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, "shutting down");
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    await closed;
    await api.stop();
    await nc.drain();
    await database.close();
    log.info("stopped");
    process.exit(0);
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) process.on(signal, () => void shutdown(signal));
}

main().catch((error) => {
  process.stderr.write(
    `grove-api: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
