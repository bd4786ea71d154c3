import { createHash } from "node:crypto";
import { OneAtATime } from "@grove/async";
import type { Database } from "@grove/db";
import { CellCommand, CommandReply, decode, serialize, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";

export interface CellPushDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  /** how long a cell has to answer (default 5 s) */
  timeoutMs?: number;
}

/**
 * A command to a cell as sent: the leader builds its commands from stored rows whose values were
 * validated where they entered (an api request, a cell's registration), so they are serialised
 * without validating again — at thousands of starts a second zod was 15 % of the leader's CPU, and
 * a peers push at 1,000 cells is a million entries; the cell validates what it takes.
 */
export const commandBytes = (command: CellCommand["command"]) => serialize(CellCommand, { v: 1, command });

/**
 * Sends one idempotent command that the leader repeats every round; true when the cell took it. A
 * refusal is logged as a warning, silence only at debug (the next round sends it again).
 */
export async function sendCellCommand(
  deps: CellPushDeps,
  cellId: string,
  command: CellCommand["command"],
  what: string,
): Promise<boolean> {
  try {
    const msg = await deps.nc.request(subjects.commands(cellId), commandBytes(command), {
      timeout: deps.timeoutMs ?? 5_000,
    });
    const reply = decode(CommandReply, msg.data, msg.subject);
    if (reply.ok && reply.value.ok) return true;
    const reason = reply.ok ? reply.value.error : reply.error.message;
    deps.log.warn({ cellId, reason }, `cell refused its ${what}`);
  } catch (error) {
    deps.log.debug({ cellId, err: (error as Error).message }, `${what} unanswered; resent next round`);
  }
  return false;
}

/**
 * What an every-round push (overlay peers, internal names) last delivered to each cell: a command
 * equal to the one a cell took is not sent again until `refreshMs` has passed, so a round costs
 * messages only for what changed (at 1,000 cells, peers alone would be a million entries a round).
 * A cell that did not take its command gets it next round; `forget` (a cell synced its state, say
 * after a restart) makes the next push send that cell its command, `clear` every cell theirs.
 */
export class SentCommands {
  readonly #sent = new Map<string, { digest: string; at: number }>();

  constructor(private readonly refreshMs = 60_000) {}

  /** A digest of a command's content (without its version). */
  static digest(content: unknown): string {
    return createHash("sha256").update(JSON.stringify(content)).digest("base64url");
  }

  /** Whether `cellId` needs the command of `digest`. */
  due(cellId: string, digest: string, now = Date.now()): boolean {
    const last = this.#sent.get(cellId);
    return last === undefined || last.digest !== digest || now - last.at >= this.refreshMs;
  }

  /** Records that `cellId` took the command of `digest`. */
  took(cellId: string, digest: string, now = Date.now()): void {
    this.#sent.set(cellId, { digest, at: now });
  }

  clear(): void {
    this.#sent.clear();
  }

  /** Makes the next push send `cellId` its command whatever it took before. */
  forget(cellId: string): void {
    this.#sent.delete(cellId);
  }
}

/**
 * Runs a push (`pushPeers`, the policy announcement) in the background, one at a time: a request while one is
 * under way makes one more push after it (with the state as it is then), so the leader's round never
 * waits for a slow or silent cell.
 */
export class BackgroundPush {
  readonly #runs: OneAtATime;

  constructor(push: () => Promise<unknown>, log: Logger, what: string) {
    this.#runs = new OneAtATime(async () => {
      try {
        await push();
      } catch (error) {
        log.warn({ err: error }, `${what} push failed; retried next round`);
      }
    });
  }

  request(): void {
    this.#runs.request();
  }

  /** Waits for the push under way, starting no other. */
  stop(): Promise<void> {
    return this.#runs.stop();
  }
}
