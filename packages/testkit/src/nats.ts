import { join } from "node:path";
import { type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import { ensureNatsSecurity, type NatsSecurity, type NatsServer, startNatsServer } from "@grove/services";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { freePort } from "./ports";
import { makeTempDir } from "./temp";

/** A role's credentials: `api` may do everything, `router` only route messages, `join` only register. */
export type NatsRole = "api" | "router" | "join";

export interface TestNats {
  /** tls://127.0.0.1:PORT */
  url: string;
  port: number;
  /** the CA, operator, accounts and role credentials of this server */
  security: NatsSecurity;
  /** where the server is and `role`'s credentials, as a Grove component takes them */
  access(role?: NatsRole): NatsAccess;
  /** connection options (TLS + credentials) of `role` */
  options(role?: NatsRole): Promise<NodeConnectionOptions>;
  /** a connection as `role` (default `api`); the caller closes it */
  connect(role?: NatsRole, extra?: Partial<NodeConnectionOptions>): Promise<NatsConnection>;
  /** the environment a Grove process of `role` reaches this server with (`api` gets the authority too) */
  env(role: NatsRole): Record<string, string>;
  /** kills the server (SIGKILL, like a crash) and starts it again on the same port and store */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway `nats-server` with JetStream on a free loopback port, with its own store,
 * TLS certificates and operator: only TLS connections with a role's credentials get in.
 */
export async function startNats(): Promise<TestNats> {
  const temp = await makeTempDir("grove-nats-");
  const port = await freePort();
  let security: NatsSecurity;
  let server: NatsServer;
  const launch = () =>
    startNatsServer({ dir: join(temp.path, "server"), port, security, name: `test-${port}` });
  try {
    security = await ensureNatsSecurity(join(temp.path, "security"));
    server = await launch();
  } catch (error) {
    await temp.remove();
    throw error;
  }
  const url = server.url;
  const access = (role: NatsRole = "api"): NatsAccess => ({
    url,
    caFile: security.caFile,
    credsFile: security.creds[role],
  });
  const options = (role: NatsRole = "api") => natsConnectOptions(access(role));
  return {
    url,
    port,
    security,
    access,
    options,
    async connect(role = "api", extra = {}) {
      return connect({ ...(await options(role)), ...extra });
    },
    env(role) {
      return {
        NATS_URL: url,
        GROVE_NATS_CA: security.caFile,
        GROVE_NATS_CREDS: security.creds[role],
        ...(role === "api" ? { GROVE_NATS_AUTHORITY: security.authorityFile } : {}),
      };
    },
    async restart() {
      await server.stop("SIGKILL");
      server = await launch();
    },
    async stop() {
      await server.stop();
      await temp.remove();
    },
  };
}
