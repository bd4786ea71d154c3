/**
 * The control-plane side of the policy bench: a real api (in-process, real Postgres and NATS, its
 * slice responder) and cells made of the agent's own policy path — its NATS user from a real join,
 * `PolicyPuller` and `NetworkPolicyEnforcer` over garden's networker on a netns host. No leader runs
 * (the bench holds the leader lock, as a second replica would find it), so convergence leaves the
 * synthetic instances alone.
 */
import { randomBytes } from "node:crypto";
import { connectDatabase, schema } from "@grove/db";
import { type CniNetworker, createNetworker } from "@grove/garden";
import { cellInboxPrefix, natsConnectOptions } from "@grove/nats-auth";
import type { PolicySlice } from "@grove/protocol";
import { startNats, startPostgres, type TestHost, type TestNetwork } from "@grove/testkit/services";
import { connect, jwtAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import postgres from "postgres";
import { loadOrJoin } from "../apps/agent/src/identity";
import { NetworkPolicyEnforcer } from "../apps/agent/src/network-policy";
import { PolicyPuller } from "../apps/agent/src/policy-pull";
import { createApi } from "../apps/api/src/api";
import { loadConfig } from "../apps/api/src/config";
import { LEADER_LOCK_KEY } from "../apps/api/src/leader/lock";

const OPERATOR = `bench-operator-${randomBytes(8).toString("hex")}`;

export interface BenchCell {
  cellId: string;
  host: TestHost;
  networker: CniNetworker;
  /** when each revision was enforced (its slice applied or found equal), ms of performance.now() */
  enforcedAt: Map<number, number>;
  /** how long each slice that changed something took to enforce (one nft transaction + conntrack pass), ms */
  applyMs: number[];
  /** starts pulling (at once, on announcements, and the 30–60 s resync) */
  startPulling(): void;
}

export interface BenchCluster {
  cells: BenchCell[];
  db: ReturnType<typeof connectDatabase>["db"];
  tenantId: string;
  call(path: string, method?: string, json?: unknown): Promise<Response>;
  close(): Promise<void>;
}

export async function startBenchCluster(
  world: TestNetwork,
  tempDir: string,
  cellCount: number,
  log: Logger,
): Promise<BenchCluster> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const pg = await startPostgres();
    closers.push(() => pg.stop());
    const nats = await startNats();
    closers.push(() => nats.stop());
    const url = await pg.createDatabase("bench_policy");
    const lock = postgres(url, { max: 1, onnotice: () => {} });
    await lock`select pg_advisory_lock(${LEADER_LOCK_KEY})`;
    closers.push(() => lock.end({ timeout: 2 }));
    const database = connectDatabase(url, { max: 10 });
    closers.push(() => database.close());
    const nc = await nats.connect("api");
    closers.push(() => nc.close());
    const api = createApi({
      config: loadConfig({
        DATABASE_URL: url,
        ...nats.env("api"),
        GROVE_BOOTSTRAP_TOKEN: OPERATOR,
        GROVE_DEFAULT_TENANT: "default",
        GROVE_LOG_LEVEL: "silent",
        GROVE_CELL_NETWORK: "10.249.0.0/16",
      }),
      db: database.db,
      nc,
      authority: nats.security.authority,
      log,
    });
    await api.start();
    closers.push(() => api.stop());
    const call = async (path: string, method = "GET", json?: unknown) =>
      api.app.request(path, {
        method,
        headers: {
          authorization: `Bearer ${OPERATOR}`,
          "x-grove-tenant": "default",
          ...(json === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
    const tokenRes = await call("/v1/cells/tokens", "POST", { uses: cellCount });
    const { token } = (await tokenRes.json()) as { token: string };
    const cells: BenchCell[] = [];
    for (let k = 0; k < cellCount; k++) {
      const host = await world.addHost();
      const stateDir = `${tempDir}/cell-${k}`;
      const identity = await loadOrJoin(
        nats.access("join"),
        stateDir,
        () => ({
          hostname: `bench-${k}`,
          address: host.address,
          zone: "z1",
          capacity: { memoryMb: 4096, diskMb: 10_000, containers: 100 },
          tags: [],
          stacks: ["busybox"],
        }),
        token,
      );
      if (!identity.network) throw new Error("the cell got no subnet lease");
      const name = `bpc${randomBytes(2).toString("hex")}${k}`;
      const networker = createNetworker({
        stateDir: `${stateDir}/net`,
        bridge: `${name}br`,
        subnet: identity.network.subnet,
        name,
        externalIP: host.address,
        hostNetns: host.netnsPath,
        isolateContainers: true,
        log,
      });
      closers.push(() => networker.destroyAll());
      const access = nats.access("join");
      const cellNc: NatsConnection = await connect({
        ...(await natsConnectOptions({ url: access.url, caFile: access.caFile })),
        authenticator: jwtAuthenticator(identity.natsJwt, new TextEncoder().encode(identity.natsSeed)),
        inboxPrefix: cellInboxPrefix(identity.cellId),
      });
      closers.push(() => cellNc.close());
      const enforcedAt = new Map<number, number>();
      const applyMs: number[] = [];
      const enforcer = new NetworkPolicyEnforcer((p) => networker.setPolicy(p), [host.address], log);
      const recording = {
        get revision() {
          return enforcer.revision;
        },
        async apply(slice: PolicySlice) {
          const started = performance.now();
          const result = await enforcer.apply(slice);
          if (!result.duplicate) applyMs.push(performance.now() - started);
          if (!enforcedAt.has(slice.revision)) enforcedAt.set(slice.revision, performance.now());
          return result;
        },
      };
      const puller = new PolicyPuller({ nats: cellNc, cellId: identity.cellId, enforcer: recording, log });
      closers.push(() => puller.close());
      cells.push({
        cellId: identity.cellId,
        host,
        networker,
        enforcedAt,
        applyMs,
        startPulling: () => puller.start(),
      });
    }
    const [tenant] = await database.db.select({ id: schema.tenants.id }).from(schema.tenants);
    if (!tenant) throw new Error("no default tenant");
    return { cells, db: database.db, tenantId: tenant.id, call, close };
  } catch (error) {
    await close();
    throw error;
  }
}
