import type { Database } from "@grove/db";
import type { AuthoritySecrets } from "@grove/nats-auth";
import { onRejectedMessage } from "@grove/protocol";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import pino, { type Logger } from "pino";
import { TokenWatch } from "./auth/token-watch";
import { consumeHeartbeats } from "./cells/heartbeats";
import { API_QUEUE, serveRegistrations } from "./cells/register-responder";
import { serveStateSyncs } from "./cells/state-sync";
import { type Config, cellNetworkSettings } from "./config";
import { createHealthApp, createHttpApp } from "./http/app";
import type { ApiEnv } from "./http/env";
import { type LeaderElection, startLeaderElection } from "./leader/lock";
import { CELL_SYNCED, leaderLoops, PLACEMENT_WAKE_SUBJECT } from "./leader/loops";
import {
  bridgeLegacyLogs,
  ensureTenantLogStreams,
  retireOverlappingLogsStream,
  TenantLogStreams,
} from "./logs/stream";

/** How often the api makes the logs streams of tenants that have none yet. */
const TENANT_LOG_STREAMS_CHECK_MS = 60_000;

import { removeStaleUploads } from "./apps/receive-bits";
import { ApiMetrics } from "./metrics";
import { BitsStore } from "./nats/bits-store";
import { ensureDeadLettersStream } from "./nats/dead-letters";
import { ensureInstanceEventsStream } from "./nats/instance-events-stream";
import { ensureStreamReplicas } from "./nats/replicas";
import { announcePolicyChange } from "./policies/announce";
import { servePolicySlices } from "./policies/slice-responder";
import { ensureTenant } from "./repo/tenants";
import { upsertBootstrapToken } from "./repo/tokens";

/** What an api needs: its configuration and connections it does not own. */
export interface ApiOptions {
  config: Config;
  db: Database;
  nc: NatsConnection;
  /** the NATS operator and account keys: cells' users are signed with them */
  authority: AuthoritySecrets;
  log?: Logger;
  /** collect process metrics (once per process; off in tests that make several apis) */
  defaultMetrics?: boolean;
  /** how often the leader lock is tried or re-verified (default 2 s) */
  leaderCheckMs?: number;
  /** how often open streams re-check their token (default 2 s) */
  tokenRecheckMs?: number;
  /** how long a cell has to answer a start command (default 10 s) */
  commandTimeoutMs?: number;
}

/**
 * A control plane replica. Its roles (`GROVE_API_ROLES`) say what it runs: `http` the public HTTP
 * app; `leader` the responders to cells (registrations, heartbeats, state syncs, policy slices,
 * legacy logs) and the competition for the leader lock, whose holder runs the leader loops.
 */
export interface Api {
  app: OpenAPIHono<ApiEnv>;
  metrics: ApiMetrics;
  /** True while this api holds the leader lock and runs the leader loops. */
  isLeader(): boolean;
  /**
   * Upserts the bootstrap token and, with the `leader` role, starts the responders to cells and
   * competes for leadership.
   */
  start(): Promise<void>;
  /** Stops loops and subscriptions; the connections stay open (their owner closes them). */
  stop(): Promise<void>;
}

/**
 * Builds the control plane over connected Postgres and NATS. Call `start()` to begin serving
 * NATS and running loops; `app.request()` works before that (tests) and `app.fetch` serves HTTP.
 *
 * @example
 * const api = createApi({ config, db, nc });
 * await api.start();
 * serve({ fetch: api.app.fetch, port: config.GROVE_API_PORT });
 */
export function createApi(options: ApiOptions): Api {
  const { config, db, nc } = options;
  const log = options.log ?? pino({ level: config.GROVE_LOG_LEVEL }).child({ component: "api" });
  const metrics = new ApiMetrics({ defaultMetrics: options.defaultMetrics });
  const bits = new BitsStore(nc);
  const logStreams = new TenantLogStreams(nc, {
    maxBytes: config.GROVE_TENANT_LOG_BYTES,
    ...(config.GROVE_JETSTREAM_REPLICAS ? { replicas: config.GROVE_JETSTREAM_REPLICAS } : {}),
  });
  const desiredStateChanged = () => {
    if (!nc.isClosed()) nc.publish(PLACEMENT_WAKE_SUBJECT);
  };
  const policyChanged = () => {
    announcePolicyChange(db, nc).catch((err) => log.warn({ err }, "policy change not announced"));
  };
  const tokenWatch = new TokenWatch(db, log.child({ component: "api.token-watch" }), options.tokenRecheckMs);
  const routeDeps = {
    config,
    db,
    nc,
    bits,
    logStreams,
    metrics,
    authority: options.authority,
    desiredStateChanged,
    policyChanged,
    tokenWatch,
  };
  // without the http role the port serves health and metrics only (probes, scrapes)
  const servesHttp = config.GROVE_API_ROLES.has("http");
  const mayLead = config.GROVE_API_ROLES.has("leader");
  const app = servesHttp ? createHttpApp(routeDeps, log) : createHealthApp(routeDeps, log);
  const subscriptions: Subscription[] = [];
  let stopCountingRejections: (() => void) | undefined;
  let election: LeaderElection | undefined;
  let logStreamsCheck: NodeJS.Timeout | undefined;
  const network = cellNetworkSettings(config);
  const leaderWork = leaderLoops({ ...options, log, metrics, network });
  return {
    app,
    metrics,
    isLeader: () => election?.isLeader() ?? false,
    async start() {
      stopCountingRejections = onRejectedMessage((e) =>
        metrics.protocolRejected.inc({ type: e.messageType, kind: e.kind }),
      );
      if (config.GROVE_BOOTSTRAP_TOKEN) await upsertBootstrapToken(db, config.GROVE_BOOTSTRAP_TOKEN);
      if (servesHttp)
        removeStaleUploads()
          .then((removed) => {
            if (removed > 0) log.info({ removed }, "stale uploads removed");
          })
          .catch((err) => log.warn({ err }, "stale uploads not removed"));
      if (config.GROVE_DEFAULT_TENANT) await ensureTenant(db, config.GROVE_DEFAULT_TENANT);
      // what cells send (their number's worth of beats, syncs and joins) goes only to replicas that
      // may lead: an http-only replica's event loop answers requests and nothing else
      if (mayLead)
        subscriptions.push(
          serveRegistrations({
            db,
            nc,
            authority: options.authority,
            network,
            log,
            metrics,
            onJoined: desiredStateChanged,
          }),
          consumeHeartbeats({
            db,
            nc,
            log,
            metrics,
            refreshMs: config.GROVE_HEARTBEAT_REFRESH_MS,
            leaseTtlMs: network.ttlMs,
          }),
          serveStateSyncs({
            db,
            nc,
            log,
            metrics,
            network,
            onSynced: (cellId) => {
              if (!nc.isClosed()) nc.publish(PLACEMENT_WAKE_SUBJECT, `${CELL_SYNCED}:${cellId}`);
            },
          }),
          servePolicySlices({
            db,
            nc,
            log,
            metrics,
            controlPlane: {
              apiPort: config.GROVE_API_PORT,
              natsUrl: config.NATS_URL,
              databaseUrl: config.DATABASE_URL,
            },
          }),
        );
      await retireOverlappingLogsStream(nc);
      await ensureTenantLogStreams(db, logStreams);
      // tenants made another way (SQL) or while NATS was away get theirs within a minute
      logStreamsCheck = setInterval(() => {
        ensureTenantLogStreams(db, logStreams).catch((err) =>
          log.warn({ err }, "tenant logs streams not made"),
        );
      }, TENANT_LOG_STREAMS_CHECK_MS);
      if (mayLead)
        subscriptions.push(
          bridgeLegacyLogs({
            db,
            nc,
            streams: logStreams,
            log: log.child({ component: "api.logs" }),
            queue: API_QUEUE,
          }),
        );
      await ensureInstanceEventsStream(nc);
      await ensureDeadLettersStream(nc);
      if (config.GROVE_JETSTREAM_REPLICAS) {
        const changed = await ensureStreamReplicas(nc, config.GROVE_JETSTREAM_REPLICAS);
        if (changed.length > 0)
          log.info(
            { streams: changed, replicas: config.GROVE_JETSTREAM_REPLICAS },
            "stream replicas changed",
          );
      }
      await nc.flush();
      // an http-only replica never takes the lock, even alone: it publishes desired-state changes
      // (PLACEMENT_WAKE_SUBJECT) for whichever replica leads
      if (!mayLead) return;
      election = startLeaderElection(
        config.DATABASE_URL,
        leaderWork,
        log.child({ component: "api.leader" }),
        {
          checkMs: options.leaderCheckMs,
        },
      );
    },
    async stop() {
      clearInterval(logStreamsCheck);
      for (const sub of subscriptions.splice(0)) sub.unsubscribe();
      tokenWatch.close();
      stopCountingRejections?.();
      await election?.stop();
      election = undefined;
    },
  };
}
