import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type AuthoritySecrets,
  accountJwt,
  authorityIds,
  operatorJwt,
  PRELOAD_ISSUED_AT,
  systemAccountJwt,
} from "@grove/nats-auth";
import { stopChild, waitForOutput } from "./child";
import type { NatsSecurity } from "./nats-security";

export interface NatsServer {
  /** tls://127.0.0.1:PORT */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM (SIGKILL after 10 s), waits for exit; `signal: "SIGKILL"` simulates a crash */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `nats-server` with JetStream on 127.0.0.1:port, its store and account JWTs under `dir`:
 * TLS only, and only users of `security`'s operator (decentralized JWT auth with a full resolver,
 * so the api can push account updates and revocations at runtime). No anonymous access.
 */
export async function startNatsServer(options: {
  dir: string;
  port: number;
  security: NatsSecurity;
  name?: string;
  /** this server's part of a cluster (its routes listen on loopback too) */
  cluster?: NatsServerConfigOptions["cluster"];
  /** the monitoring endpoint's port on 127.0.0.1 (/healthz); none when unset */
  monitorPort?: number;
}): Promise<NatsServer> {
  const config = join(options.dir, "nats.conf");
  await mkdir(join(options.dir, "accounts"), { recursive: true, mode: 0o700 });
  const { security } = options;
  const text = await natsServerConfig({
    name: options.name ?? `grove-${options.port}`,
    listen: `127.0.0.1:${options.port}`,
    storeDir: options.dir,
    resolverDir: join(options.dir, "accounts"),
    certFile: security.certFile,
    keyFile: security.keyFile,
    authority: security.authority,
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.monitorPort ? { monitor: `127.0.0.1:${options.monitorPort}` } : {}),
  });
  await writeFile(config, text, { mode: 0o600 });
  const child = spawn("nats-server", ["-c", config], { stdio: ["ignore", "pipe", "pipe"] });
  try {
    await waitForOutput(
      child,
      /Server is ready/,
      15_000,
      "nats-server",
      `If another server holds port ${options.port}, stop it or choose another port; otherwise fix what nats-server says about ${options.dir}.`,
    );
  } catch (error) {
    await stopChild(child, "SIGKILL");
    throw error;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    url: `tls://127.0.0.1:${options.port}`,
    port: options.port,
    pid: child.pid as number,
    stop: (signal = "SIGTERM") => stopChild(child, signal),
  };
}

/** What a nats-server configuration says; paths as the server sees them. */
export interface NatsServerConfigOptions {
  /** a name, or `$VAR` to take it from the server's environment */
  name: string;
  listen: string;
  storeDir: string;
  resolverDir: string;
  certFile: string;
  keyFile: string;
  authority: AuthoritySecrets;
  /**
   * a cluster's routes; `noAdvertise` keeps the servers' own addresses from clients, which then use
   * only the URLs they were given (in compose those are the published ports, not container addresses)
   */
  cluster?: { name: string; listen: string; routes: string[]; noAdvertise?: boolean };
  /** `host:port` of the monitoring endpoint (/healthz, /varz, /jsz); none when unset */
  monitor?: string;
}

/** nats-server's configuration: listen address, JetStream, TLS, the operator and the account resolver. */
export async function natsServerConfig(options: NatsServerConfigOptions): Promise<string> {
  const { authority } = options;
  const ids = authorityIds(authority);
  const json = JSON.stringify;
  const cluster = options.cluster;
  return [
    `server_name: ${options.name.startsWith("$") ? options.name : json(options.name)}`,
    `listen: ${json(options.listen)}`,
    ...(options.monitor ? [`http: ${json(options.monitor)}`] : []),
    `jetstream { store_dir: ${json(options.storeDir)} }`,
    `tls { cert_file: ${json(options.certFile)}, key_file: ${json(options.keyFile)}, timeout: 5 }`,
    `operator: ${json(await operatorJwt(authority))}`,
    `system_account: ${json(ids.systemAccount)}`,
    `resolver: { type: full, dir: ${json(options.resolverDir)}, allow_delete: false, interval: "2m" }`,
    "resolver_preload: {",
    `  ${ids.systemAccount}: ${json(await systemAccountJwt(authority))}`,
    // issued long ago, so the revocations the api pushed (kept on the resolver's disk) win over it
    `  ${ids.account}: ${json(await accountJwt(authority, {}, PRELOAD_ISSUED_AT))}`,
    "}",
    ...(cluster
      ? [
          `cluster { name: ${json(cluster.name)}, listen: ${json(cluster.listen)}, routes: ${json(cluster.routes)}${cluster.noAdvertise ? ", no_advertise: true" : ""} }`,
        ]
      : []),
    "",
  ].join("\n");
}
