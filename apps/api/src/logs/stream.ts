import type { Database } from "@grove/db";
import { schema } from "@grove/db";
import { parseLegacyLogSubject, subjects } from "@grove/protocol";
import {
  DiscardPolicy,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import { isUuid } from "../ids";
import { LookupCache } from "./lookup-cache";

/**
 * The stream of log lines of the form before tenants (`grove.v1.logs.<app>.<cell>.<instance>`),
 * shared by every tenant. This release makes none; one left by an older api keeps what older cells
 * publish (and feeds the older api during a rolling upgrade) until it is deleted.
 */
export const LEGACY_LOGS_STREAM = "GROVE_LOGS";

/** Lines kept per instance. */
export const LOG_LINES_PER_INSTANCE = 1000;

/** How long lines are kept. */
const LOG_MAX_AGE_NS = 24 * 3600 * 1_000_000_000;

/**
 * The JetStream stream that keeps one tenant's recent log lines
 * (`grove.v1.logs.<tenant>.<app>.<cell>.<instance>`), so `grove logs` can show lines written before
 * it connected. Agents publish plain NATS messages, each cell on its own subjects; the stream
 * captures them. A stream per tenant: its limits are the tenant's, and a tenant flooding its logs
 * pushes out only its own older lines.
 */
export function tenantLogsStream(tenantId: string): string {
  return `GROVE_LOGS_${tenantId}`;
}

export interface TenantLogLimits {
  /** bytes of log lines each tenant's stream keeps (GROVE_TENANT_LOG_BYTES) */
  maxBytes: number;
  /** copies of each stream (GROVE_JETSTREAM_REPLICAS; unset: 1, or as made) */
  replicas?: number;
}

/**
 * Makes each tenant's logs stream when first needed (tenant created, api start, a tail, a line of
 * the older form), with the limits of this api's settings; a stream made with other limits is
 * changed in place. Remembers the streams it made or checked.
 */
export class TenantLogStreams {
  readonly #ready = new Map<string, Promise<string>>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly limits: TenantLogLimits,
  ) {}

  /** The name of `tenantId`'s logs stream, made (or its limits set) first when needed. */
  ensure(tenantId: string): Promise<string> {
    let ready = this.#ready.get(tenantId);
    if (!ready) {
      ready = this.#make(tenantId);
      this.#ready.set(tenantId, ready);
      ready.catch(() => this.#ready.delete(tenantId));
    }
    return ready;
  }

  async #make(tenantId: string): Promise<string> {
    const name = tenantLogsStream(tenantId);
    const jsm = await jetstreamManager(this.nc);
    const wanted: Partial<StreamConfig> = {
      subjects: [subjects.tenantLogs(tenantId)],
      max_bytes: this.limits.maxBytes,
      ...(this.limits.replicas ? { num_replicas: this.limits.replicas } : {}),
    };
    const existing = await jsm.streams.info(name).catch(() => undefined);
    if (!existing) {
      await jsm.streams.add({
        name,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_msgs_per_subject: LOG_LINES_PER_INSTANCE,
        max_age: LOG_MAX_AGE_NS,
        ...wanted,
      });
    } else if (
      existing.config.max_bytes !== wanted.max_bytes ||
      (wanted.num_replicas !== undefined && existing.config.num_replicas !== wanted.num_replicas)
    ) {
      await jsm.streams.update(name, { ...existing.config, ...wanted });
    }
    return name;
  }
}

/**
 * Deletes a shared logs stream of a release before log subjects named their cell
 * (`grove.v1.logs.>`): it would overlap every tenant's stream, which JetStream refuses. Its lines
 * are of that release and carried a credential. The stream of the release just before
 * (`grove.v1.logs.*.*.*`) does not overlap and is left alone.
 */
export async function retireOverlappingLogsStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const legacy = await jsm.streams.info(LEGACY_LOGS_STREAM).catch(() => undefined);
  if (legacy && legacy.config.subjects?.join() !== subjects.allLegacyLogs) {
    await jsm.streams.delete(LEGACY_LOGS_STREAM);
  }
}

/** Makes the logs stream of every tenant that has none yet (the api's start, then every minute). */
export async function ensureTenantLogStreams(db: Database, streams: TenantLogStreams): Promise<void> {
  const rows = await db.select({ id: schema.tenants.id }).from(schema.tenants);
  for (const { id } of rows) await streams.ensure(id);
}

/**
 * Moves log lines of the form before tenants to their tenant's subject, in order: cells whose NATS
 * user was made before this release (and agents of an older one) publish that form. The cell token
 * is kept, so readers still check the line against the instance's placement. Lines of an app not
 * (or no longer) known are dropped.
 */
export function bridgeLegacyLogs(deps: {
  db: Database;
  nc: NatsConnection;
  streams: TenantLogStreams;
  log: Logger;
  queue: string;
}): Subscription {
  const sub = deps.nc.subscribe(subjects.allLegacyLogs, { queue: deps.queue });
  const tenantOf = new LookupCache(async (appId) => {
    if (!isUuid(appId)) return undefined;
    const [row] = await deps.db
      .select({ tenantId: schema.apps.tenantId })
      .from(schema.apps)
      .where(eq(schema.apps.id, appId));
    return row?.tenantId;
  });
  void (async () => {
    for await (const msg of sub) {
      const from = parseLegacyLogSubject(msg.subject);
      if (!from) continue;
      try {
        const tenantId = await tenantOf.get(from.appId);
        if (!tenantId) continue;
        await deps.streams.ensure(tenantId);
        deps.nc.publish(subjects.logs(from.cellId, tenantId, from.appId, from.instanceId), msg.data);
      } catch (error) {
        deps.log.warn({ err: error, subject: msg.subject }, "log line of the older form not moved");
      }
    }
  })();
  return sub;
}
