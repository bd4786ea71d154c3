import { type RunningLoop, startLoop } from "../loop";
import { claimStarts } from "../repo/placement";
import type { KeyedDispatch } from "./bounded";
import { type CommandDeps, sendStart } from "./cell-commands";
import type { Exclusive } from "./exclusive";

/** When an unanswered start command is sent again (commands are idempotent). */
const DEFAULT_RESEND_AFTER_MS = 15_000;

export interface StartPumpDeps extends CommandDeps {
  /** where the starts go, sent in the background with the rounds' stops */
  dispatch: KeyedDispatch;
  /** the rounds' too: no start is claimed while a round stops instances (`RoundDeps.exclusive`) */
  exclusive: Exclusive;
  /** commands the dispatch holds at most (queued or in flight) for the pump to add more starts */
  queued: number;
  /** how often the pump looks for due starts unwoken (resends, starts whose volume data arrived) */
  intervalMs: number;
  resendAfterMs?: number;
}

/**
 * The start pump (apart from the convergence rounds, as Diego's auctioneer is from its BBS's
 * convergence): whenever woken — a round placed instances, the dispatch fell below its low-water
 * mark, volume data arrived — and every `intervalMs` for resends, it claims due starts (one
 * statement each batch) and queues them while the dispatch has room, without waiting for a round.
 * Stopped with the leadership.
 */
export function startStartPump(deps: StartPumpDeps): RunningLoop {
  const resendAfterMs = deps.resendAfterMs ?? DEFAULT_RESEND_AFTER_MS;
  const log = deps.log;
  return startLoop(
    "starts",
    deps.intervalMs,
    async () => {
      const began = performance.now();
      let sent = 0;
      let claims = 0;
      for (;;) {
        const room = deps.queued - deps.dispatch.size;
        if (room <= 0) break;
        const claimed = await deps.exclusive.run(async () => {
          const due = await claimStarts(deps.db, resendAfterMs, room);
          for (const start of due) {
            // one queued already (a resend come due before it went): it goes once
            if (deps.dispatch.add(start.instanceId, () => sendStart(deps, start))) sent++;
          }
          return due.length;
        });
        claims++;
        // fewer than asked: nothing more is due now
        if (claimed < room) break;
      }
      if (sent > 0)
        log.info({ sent, claims, ms: Math.round(performance.now() - began) }, "start commands queued");
    },
    log,
  );
}
