import type { Database } from "@grove/db";
import { schema } from "@grove/db";
import { type LogLine, parseLogSubject } from "@grove/protocol";
import { eq } from "drizzle-orm";
import type { Logger } from "pino";
import { isUuid } from "../ids";
import type { ApiMetrics } from "../metrics";

const { instances } = schema;

/** Placements remembered (an instance never moves once placed, so a known one stays true). */
const MAX_CACHED = 100_000;
/** How long "not placed (yet)" is believed before the database is asked again. */
const UNPLACED_TTL_MS = 10_000;

type Placement = { appId: string; cellId: string } | { unplacedUntil: number };

/**
 * The cell each instance was placed on, cached for the api's life: log lines are checked against
 * it without a query per line. An instance keeps its id only while on one cell, so a placement
 * once seen holds for every line the instance ever wrote; an unknown or unplaced instance is asked
 * about again after `UNPLACED_TTL_MS`.
 */
export class InstancePlacements {
  readonly #placements = new Map<string, Placement>();

  constructor(private readonly db: Database) {}

  /** The app and cell of `instanceId`, or undefined when it is unknown or not placed. */
  async of(instanceId: string): Promise<{ appId: string; cellId: string } | undefined> {
    const cached = this.#placements.get(instanceId);
    if (cached && "cellId" in cached) return cached;
    if (cached && cached.unplacedUntil > Date.now()) return undefined;
    const [row] = isUuid(instanceId)
      ? await this.db
          .select({ cellId: instances.cellId, appId: instances.appId })
          .from(instances)
          .where(eq(instances.id, instanceId))
      : [];
    if (this.#placements.size >= MAX_CACHED) this.#placements.clear();
    if (row?.cellId) {
      const placement = { appId: row.appId, cellId: row.cellId };
      this.#placements.set(instanceId, placement);
      return placement;
    }
    this.#placements.set(instanceId, { unplacedUntil: Date.now() + UNPLACED_TTL_MS });
    return undefined;
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
