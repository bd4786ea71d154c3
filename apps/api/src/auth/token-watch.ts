import type { Database } from "@grove/db";
import type { Logger } from "pino";
import { lapsedTokens, type TokenRefusal } from "../repo/tokens";

/** How often open streams' tokens are checked again (a revoke on this replica checks at once). */
export const TOKEN_RECHECK_MS = 2_000;

/** A held token: `lapsed` resolves with the reason once it is revoked, expires or is gone. */
export interface TokenHold {
  lapsed: Promise<TokenRefusal>;
  release(): void;
}

/**
 * Keeps long-lived responses (log follow, exec output) honest about their caller's token: every
 * `intervalMs`, while any is open, one query checks all their tokens, and the holds of a token that
 * was revoked or expired resolve. A request is authenticated once; a stream is re-checked for life.
 */
export class TokenWatch {
  private readonly holds = new Map<string, Set<(reason: TokenRefusal) => void>>();
  private timer: NodeJS.Timeout | undefined;
  private periodic: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    private readonly intervalMs = TOKEN_RECHECK_MS,
  ) {}

  /** Watches `tokenId` until `release()`. */
  hold(tokenId: string): TokenHold {
    let end!: (reason: TokenRefusal) => void;
    const lapsed = new Promise<TokenRefusal>((resolve) => {
      end = resolve;
    });
    const ends = this.holds.get(tokenId) ?? new Set();
    ends.add(end);
    this.holds.set(tokenId, ends);
    this.timer ??= setInterval(() => {
      // a slow database does not pile checks up
      this.periodic ??= this.checkOnce().finally(() => {
        this.periodic = undefined;
      });
    }, this.intervalMs).unref();
    return {
      lapsed,
      release: () => {
        ends.delete(end);
        if (ends.size === 0 && this.holds.get(tokenId) === ends) this.holds.delete(tokenId);
        if (this.holds.size === 0) this.stopTimer();
      },
    };
  }

  /** Checks every held token now (after a revoke); ends the holds of those that lapsed. */
  check(): Promise<void> {
    return this.checkOnce();
  }

  /** Stops checking; holds stay open (their streams end with the server). */
  close(): void {
    this.stopTimer();
  }

  private async checkOnce(): Promise<void> {
    const ids = [...this.holds.keys()];
    if (ids.length === 0) return;
    try {
      for (const [tokenId, reason] of await lapsedTokens(this.db, ids)) {
        for (const end of this.holds.get(tokenId) ?? []) end(reason);
      }
    } catch (error) {
      this.log.warn({ err: error }, "open streams' tokens not checked");
    }
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
