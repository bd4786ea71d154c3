import { MAX_START_BATCH } from "@grove/protocol";
import { type RunningLoop, startLoop } from "../loop";
import type { ApiMetrics } from "../metrics";
import { claimStarts, type PendingStart, startsDueAgain, startsOf } from "../repo/placement";
import type { KeyedDispatch } from "./bounded";
import { type CommandDeps, sendStart, sendStarts } from "./cell-commands";
import type { CellReports } from "./cell-reports";
import type { Exclusive } from "./exclusive";
import { StartContacts } from "./start-contacts";

/** When a start its cell has not reported on is sent again (commands are idempotent). */
export const DEFAULT_RESEND_AFTER_MS = 15_000;

export interface StartPumpDeps extends CommandDeps {
  /** where the starts go, sent in the background with the rounds' stops */
  dispatch: KeyedDispatch;
  /** the rounds' too: no start is claimed while a round stops instances (`RoundDeps.exclusive`) */
  exclusive: Exclusive;
  /** starts (instances) the dispatch holds at most (queued or in flight) for the pump to add more */
  queued: number;
  /** how often the pump looks for due starts unwoken (resends, starts whose volume data arrived) */
  intervalMs: number;
  /**
   * a start is sent again once its cell has not heard of it (no send, no acceptance) for this long
   * and it is still PLACED (no event of it applied)
   */
  resendAfterMs?: number;
  /** the cells' reports (the rounds'): which cells take batches of starts, and how many at most */
  reports?: CellReports;
  metrics?: Pick<ApiMetrics, "startCommands" | "startsSent" | "startsHeld">;
}

/** The start pump: a loop that also takes starts handed to it by the rounds. */
export interface StartPump extends RunningLoop {
  /**
   * The rounds placed these instances and wrote them as sent (`handedOff`): the pump sends their
   * starts from memory, ahead of any claim, and is woken.
   */
  offer(instanceIds: readonly string[]): void;
  /**
   * The cell synced its state (its agent may have restarted): its starts still PLACED are due
   * now, not after the resend time, and the pump is woken.
   */
  cellSynced(cellId: string): Promise<void>;
}

/**
 * The start pump (apart from the convergence rounds, as Diego's auctioneer is from its BBS's
 * convergence): whenever woken — a round placed instances, the dispatch fell below its low-water
 * mark, volume data arrived — and every `intervalMs` for resends, it queues starts while the dispatch
 * has room, without waiting for a round: first those the rounds handed it (`offer`: new instances
 * written as sent, read in one statement and never written again), then due ones it claims (one
 * statement each batch: resends, instances placed from the table, a previous leader's):
 * those of a cell that takes batches (its reports' `maxStartBatch`) in `start-instances` commands
 * of up to that many (a cell's batch still queued takes in its later starts), the others one
 * `start-instance` each. A due start whose cell was sent it or
 * accepted it less than `resendAfterMs` ago is held (its claim moved its next due time on).
 * Stopped with the leadership.
 */
export function startStartPump(deps: StartPumpDeps): StartPump {
  const resendAfterMs = deps.resendAfterMs ?? DEFAULT_RESEND_AFTER_MS;
  const log = deps.log;
  const contacts = new StartContacts();
  const sending = { ...deps, contacts };
  // handed over by the rounds, in the order placed: read (not claimed) and sent first
  let offered: string[] = [];
  const loop = startLoop(
    "starts",
    deps.intervalMs,
    async () => {
      const began = performance.now();
      let sent = 0;
      let held = 0;
      let claims = 0;
      for (;;) {
        const room = deps.queued - deps.dispatch.size;
        if (room <= 0) break;
        const handed = offered.length > 0;
        const sentBefore = sent;
        const claimed = await deps.exclusive.run(async () => {
          // under the lock, as a claim: one a round has stopped since is no longer PLACED
          const ids = offered.slice(0, room);
          offered = offered.slice(ids.length);
          const due = handed ? await startsOf(deps.db, ids) : await claimStarts(deps.db, resendAfterMs, room);
          const since = Date.now() - resendAfterMs;
          contacts.prune(since);
          const byCell = new Map<string, PendingStart[]>();
          for (const start of due) {
            if (contacts.heardAfter(start.instanceId, since)) {
              held++;
              continue;
            }
            const starts = byCell.get(start.cellId);
            if (starts) starts.push(start);
            else byCell.set(start.cellId, [start]);
          }
          const batchOf = deps.reports
            ? await deps.reports.startBatches(deps.db, [...byCell.keys()])
            : new Map<string, number>();
          for (const [cellId, starts] of byCell) {
            const max = Math.min(batchOf.get(cellId) ?? 1, MAX_START_BATCH);
            if (max <= 1) {
              // one queued already (a resend come due before it went): it goes once
              for (const start of starts)
                if (deps.dispatch.add(start.instanceId, () => sendStart(sending, start))) sent++;
              continue;
            }
            // into the cell's batch still queued, if any: under a backlog batches fill up
            sent += deps.dispatch.addGroup(
              starts.map((start) => [start.instanceId, start] as const),
              (batch) => sendStarts(sending, cellId, batch),
              { label: `starts:${cellId}`, max },
            );
          }
          return handed ? ids.length : due.length;
        });
        claims++;
        // fewer than asked: nothing more is due now (after the handed ones, claims); none of them
        // new: the rest due are held too (still on their way, their claims moved their due times on)
        if (!handed && (claimed < room || sent === sentBefore)) break;
      }
      if (held > 0) deps.metrics?.startsHeld.inc(held);
      if (sent > 0 || held > 0)
        log.info({ sent, held, claims, ms: Math.round(performance.now() - began) }, "start commands queued");
    },
    log,
  );
  return {
    ...loop,
    offer(instanceIds) {
      if (instanceIds.length === 0) return;
      offered = offered.concat(instanceIds);
      loop.wake();
    },
    async cellSynced(cellId) {
      // under the lock, as a claim is: none of these is claimed half-way
      const due = await deps.exclusive.run(() => startsDueAgain(deps.db, cellId));
      if (due.length === 0) return;
      contacts.forget(due);
      log.info({ cellId, starts: due.length }, "cell synced: its placed starts are due again");
      loop.wake();
    },
  };
}
