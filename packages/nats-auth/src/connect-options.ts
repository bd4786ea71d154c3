import { readFile } from "node:fs/promises";
import { credsAuthenticator, type NodeConnectionOptions } from "@nats-io/transport-node";
import { quietCancelledRequests } from "./cancelled-requests";

/** How a component reaches NATS: the URL, the CA that signed the servers' certificates, its credentials. */
export interface NatsAccess {
  url: string;
  /** PEM file of the CA to verify the servers with (TLS is required when set) */
  caFile?: string;
  /** `.creds` file (user JWT + nkey seed) */
  credsFile?: string;
  /** or the credentials themselves */
  creds?: Uint8Array;
}

/**
 * Connection options for `connect()` from `access`: TLS with the given CA and JWT credentials, and
 * no stack captured per request (`noAsyncTraces`): at thousands of requests and JetStream publishes
 * a second (start commands, instance events, a thousand hollow cells) the captures cost more CPU
 * than the work; errors still say which subject failed. Nor for the error nats.js makes to end each
 * answered request (`quietCancelledRequests`).
 */
export async function natsConnectOptions(access: NatsAccess): Promise<NodeConnectionOptions> {
  quietCancelledRequests();
  const creds = access.creds ?? (access.credsFile ? await readFile(access.credsFile) : undefined);
  return {
    // a comma-separated list names several servers (a cluster's), tried in turn
    servers: access.url.split(",").map((url) => url.trim()),
    ...(access.caFile ? { tls: { caFile: access.caFile } } : {}),
    ...(creds ? { authenticator: credsAuthenticator(creds) } : {}),
    noAsyncTraces: true,
  };
}
