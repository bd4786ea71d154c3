import type { Database } from "@grove/db";
import { schema } from "@grove/db";
import { type LogLine, parseLogSubject } from "@grove/protocol";
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import { isUuid } from "../ids";
import type { ApiMetrics } from "../metrics";
import { LookupCache, MAX_CACHED } from "./lookup-cache";

const { instances } = schema;

/**
 * The cell each instance was placed on, cached for the api's life: log lines are checked against
 * it without a query per line. An instance keeps its id only while on one cell, so a placement
 * once seen holds for every line the instance ever wrote; an unknown or unplaced instance is asked
 * about again after a while (`LookupCache`).
 */
export class InstancePlacements {
  readonly #placements: LookupCache<{ appId: string; cellId: string }>;

  constructor(db: Database) {
    this.#placements = new LookupCache(async (instanceId) => {
      if (!isUuid(instanceId)) return undefined;
      const [row] = await db
        .select({ cellId: instances.cellId, appId: instances.appId })
        .from(instances)
        .where(eq(instances.id, instanceId));
      return row?.cellId ? { appId: row.appId, cellId: row.cellId } : undefined;
    });
  }

  /** The app and cell of `instanceId`, or undefined when it is unknown or not placed. */
  of(instanceId: string): Promise<{ appId: string; cellId: string } | undefined> {
    return this.#placements.get(instanceId);
  }
}

/** Why a stored log line is not shown. */
export type LogLineRefusal = "not-placed-on-cell" | "subject-mismatch";

/**
 * Accepts a log line only when the cell it was published by (the cell token of its subject, which
 * NATS lets only that cell publish) is the cell its instance was placed on, so one cell cannot write
 * into another app's or tenant's logs. Refused lines are counted in
 * `grove_log_lines_dropped_total` and logged once per cell and instance.
 */
export class LogLineVerifier {
  readonly #logged = new Set<string>();

  constructor(
    private readonly placements: InstancePlacements,
    private readonly metrics: ApiMetrics,
    private readonly log: Logger,
  ) {}

  /** True when `line`, stored under `subject`, comes from the cell its instance is placed on. */
  async accept(subject: string, line: LogLine): Promise<boolean> {
    const refusal = await this.#check(subject, line);
    if (refusal === undefined) return true;
    this.metrics.logLinesDropped.inc({ reason: refusal });
    const key = `${subject}|${refusal}`;
    if (!this.#logged.has(key)) {
      if (this.#logged.size >= MAX_CACHED) this.#logged.clear();
      this.#logged.add(key);
      this.log.warn({ subject, instanceId: line.instanceId, reason: refusal }, "log line dropped");
    }
    return false;
  }

  async #check(subject: string, line: LogLine): Promise<LogLineRefusal | undefined> {
    const from = parseLogSubject(subject);
    if (
      !from ||
      from.cellId !== line.cellId ||
      from.appId !== line.appId ||
      from.instanceId !== line.instanceId
    ) {
      return "subject-mismatch";
    }
    const placement = await this.placements.of(line.instanceId);
    return placement?.cellId === from.cellId && placement.appId === line.appId
      ? undefined
      : "not-placed-on-cell";
  }
}
