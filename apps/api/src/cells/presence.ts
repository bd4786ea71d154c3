import type { Database } from "@grove/db";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { type Loop, startLoop } from "../loop";
import type { ApiMetrics } from "../metrics";
import { markSilentCellsLost } from "../repo/cells";
import { CellLiveness } from "./liveness";

/**
 * Marks cells lost when their heartbeats have stopped for `ttlMs` (Diego's presence TTL), checking
 * every second (more often for a TTL under 15 s), so a cell is declared lost at most a fifteenth of a
 * TTL late: the time to replace a lost cell's instances is the TTL plus their start. Liveness is kept in
 * memory from the heartbeats themselves (stored heartbeats are only refreshed now and then); a new
 * leader declares nothing lost before it has listened for a TTL, nor does a leader that stood still
 * (under load, with heartbeats waiting unread) before it has listened for another; before judging,
 * a flush reads every heartbeat the NATS server holds for it, and one that takes longer than a
 * third of the TTL counts as standing still (a burst of messages ahead of the heartbeats).
 */
export function startPresenceLoop(deps: {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  metrics: ApiMetrics;
  ttlMs: number;
  /** called after cells were marked lost (their instances need replacing) */
  onLost?: () => void;
}): Loop {
  const log = deps.log.child({ component: "api.cells.presence" });
  const interval = Math.max(50, Math.min(1_000, Math.floor(deps.ttlMs / 15)));
  // a cell beats every third of a TTL or more often (5 s of 15 s by default): a stall of up to a
  // third cannot age its last beat past the TTL
  const stallMs = Math.floor(deps.ttlMs / 3);
  const liveness = new CellLiveness().listen(deps.nc);
  const loop = startLoop(
    "presence",
    interval,
    async () => {
      try {
        if (!liveness.checkBegins(interval, stallMs)) {
          log.warn(
            { stallMs },
            "the api stood still: cells are judged silent only after another TTL of listening",
          );
          return;
        }
        if (!liveness.knowsSilence(deps.ttlMs)) return;
        const roundTripMs = await flushWithin(deps.nc, stallMs);
        if (!liveness.heardUpToDate(roundTripMs, stallMs)) {
          log.warn(
            { stallMs, roundTripMs: Number.isFinite(roundTripMs) ? Math.round(roundTripMs) : null },
            "heartbeats waited to be read: cells are judged silent only after another TTL of listening",
          );
          return;
        }
        const lost = await markSilentCellsLost(deps.db, deps.ttlMs, liveness.alive(deps.ttlMs));
        for (const cellId of lost) log.warn({ cellId, ttlMs: deps.ttlMs }, "cell lost: heartbeats stopped");
        deps.metrics.cellsLost.inc(lost.length);
        if (lost.length > 0) deps.onLost?.();
      } finally {
        liveness.checkEnded();
      }
    },
    log,
  );
  return {
    wake: () => loop.wake(),
    async stop() {
      liveness.stop();
      await loop.stop();
    },
  };
}

/**
 * The time a flush (PING and its PONG, which the server sends after every message it holds for this
 * connection) takes, in ms; Infinity when it is not back within `limitMs` or fails.
 */
async function flushWithin(nc: NatsConnection, limitMs: number): Promise<number> {
  const began = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const back = await Promise.race([
    nc.flush().then(
      () => true,
      () => false,
    ),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), limitMs);
    }),
  ]);
  clearTimeout(timer);
  return back ? performance.now() - began : Number.POSITIVE_INFINITY;
}
