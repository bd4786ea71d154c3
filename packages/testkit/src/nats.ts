import { join } from "node:path";
import { type NatsAccess, natsConnectOptions } from "@grove/nats-auth";
import { ensureNatsSecurity, type NatsSecurity, type NatsServer, startNatsServer } from "@grove/services";
import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { freePort } from "./ports";
import { makeTempDir } from "./temp";

/** A role's credentials: `api` may do everything, `router` only route messages, `join` only register. */
export type NatsRole = "api" | "router" | "join";

export interface TestNats {
  /** tls://127.0.0.1:PORT (a cluster's servers comma-separated) */
  url: string;
  /** the (first) server's client port */
  port: number;
  /** every server's client port */
  ports: number[];
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
  /**
   * kills every server at once (SIGKILL, like a crash) and starts them again on the same ports and
   * stores; a cluster's restart resolves once JetStream is healthy on every server again
   */
  restart(): Promise<void>;
  /** kills server `node` (SIGKILL) and starts it again; resolves once it is healthy (caught up) */
  restartNode(node: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a throwaway `nats-server` with JetStream on a free loopback port, with its own store,
 * TLS certificates and operator: only TLS connections with a role's credentials get in. With
 * `nodes` > 1, a JetStream cluster of that many servers (routes on loopback too), and the api's
 * environment asks for that many replicas of every stream (`GROVE_JETSTREAM_REPLICAS`).
 */
export async function startNats(setup: { nodes?: number } = {}): Promise<TestNats> {
  const nodes = setup.nodes ?? 1;
  const temp = await makeTempDir("grove-nats-");
  let security: NatsSecurity;
  const ports: number[] = [];
  const servers: (NatsServer | undefined)[] = [];
  let launch: (node: number) => Promise<void>;
  try {
    for (let i = 0; i < nodes; i++) ports.push(await freePort());
    const routePorts = nodes > 1 ? await Promise.all(ports.map(() => freePort())) : [];
    const monitorPorts = nodes > 1 ? await Promise.all(ports.map(() => freePort())) : [];
    security = await ensureNatsSecurity(join(temp.path, "security"));
    launch = async (node) => {
      const port = ports[node] as number;
      servers[node] = await startNatsServer({
        dir: join(temp.path, nodes > 1 ? `server-${node}` : "server"),
        port,
        security,
        name: `test-${port}`,
        ...(nodes > 1
          ? {
              monitorPort: monitorPorts[node] as number,
              cluster: {
                name: `test-${ports[0]}`,
                listen: `127.0.0.1:${routePorts[node]}`,
                routes: routePorts.filter((_, i) => i !== node).map((p) => `nats://127.0.0.1:${p}`),
                noAdvertise: true,
              },
            }
          : {}),
      });
      // a cluster's JetStream is up once it has a meta leader and this server's streams caught up
      if (nodes > 1) await healthy(monitorPorts[node] as number, `nats-server ${port}`);
    };
    await Promise.all(ports.map((_, node) => launch(node)));
  } catch (error) {
    await Promise.all(servers.map((server) => server?.stop("SIGKILL")));
    await temp.remove();
    throw error;
  }
  const url = ports.map((port) => `tls://127.0.0.1:${port}`).join(",");
  const port = ports[0] as number;
  const access = (role: NatsRole = "api"): NatsAccess => ({
    url,
    caFile: security.caFile,
    credsFile: security.creds[role],
  });
  const options = (role: NatsRole = "api") => natsConnectOptions(access(role));
  return {
    url,
    port,
    ports,
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
        ...(role === "api" && nodes > 1 ? { GROVE_JETSTREAM_REPLICAS: String(nodes) } : {}),
      };
    },
    async restart() {
      await Promise.all(servers.map((server) => server?.stop("SIGKILL")));
      await Promise.all(ports.map((_, node) => launch(node)));
    },
    async restartNode(node) {
      await servers[node]?.stop("SIGKILL");
      await launch(node);
    },
    async stop() {
      await Promise.all(servers.map((server) => server?.stop()));
      await temp.remove();
    },
  };
}

/** Resolves once the server's /healthz answers 200 (JetStream current); throws after `timeoutMs`. */
async function healthy(monitorPort: number, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${monitorPort}/healthz`).catch(() => undefined);
    if (response?.ok) {
      await response.body?.cancel();
      return;
    }
    last = response ? `${response.status} ${await response.text()}` : "no answer";
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} was not healthy within ${timeoutMs} ms (/healthz: ${last})`);
}
