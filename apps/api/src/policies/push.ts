import type { Database } from "@grove/db";
import { CellCommand, CommandReply, decode, encode, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { policyInputs } from "../repo/policies";
import { controlPlaneOf, egressSlices } from "./egress-slices";
import { policySlices } from "./slices";

export interface PolicyPushDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  /** where the control plane listens: containers are refused these (egress); absent: no egress sent */
  controlPlane?: { apiPort: number; natsUrl: string; databaseUrl: string };
  /** how long a cell has to answer (default 5 s) */
  timeoutMs?: number;
}

/**
 * Sends every cell in service the policy slice it enforces, as one `apply-policy` command per
 * cell. The leader does this on every round (after a policy change, an instance event, and at the
 * convergence interval), so a cell that missed one catches up on the next; cells skip a slice equal
 * to what they enforce. The version is the leader's clock: a cell ignores an older one that arrives late.
 * Returns how many cells took it.
 */
export async function pushPolicies(deps: PolicyPushDeps): Promise<number> {
  const { cellIds, cellAddresses, policies, instances, egress } = await policyInputs(deps.db);
  const version = Date.now();
  const egressOf = deps.controlPlane
    ? egressSlices(cellIds, egress, instances, controlPlaneOf(deps.controlPlane, cellAddresses))
    : new Map();
  const sent = await Promise.all(
    [...policySlices(cellIds, policies, instances)].map(([cellId, slice]) =>
      sendCellCommand(
        deps,
        cellId,
        {
          type: "apply-policy",
          version,
          ...slice,
          ...(egressOf.has(cellId) ? { egress: egressOf.get(cellId) } : {}),
        },
        "network policy",
      ),
    ),
  );
  return sent.filter(Boolean).length;
}

/**
 * Sends one idempotent command that the leader repeats every round; true when the cell took it. A
 * refusal is logged as a warning, silence only at debug (the next round sends it again).
 */
export async function sendCellCommand(
  deps: PolicyPushDeps,
  cellId: string,
  command: CellCommand["command"],
  what: string,
): Promise<boolean> {
  try {
    const msg = await deps.nc.request(subjects.commands(cellId), encode(CellCommand, { v: 1, command }), {
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
 * Runs a push (`pushPolicies`, `pushPeers`) in the background, one at a time: a request while one is
 * under way makes one more push after it (with the state as it is then), so the leader's round never
 * waits for a slow or silent cell.
 */
export class BackgroundPush {
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #resync: NodeJS.Timeout | undefined;

  constructor(
    private readonly push: () => Promise<unknown>,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /**
   * A full push at a random interval between `minMs` and `maxMs`, again and again, beside the
   * pushes a change or a round asks for: a cell that missed everything else is in step within a minute.
   */
  resyncEvery(minMs: number, maxMs: number): void {
    const schedule = () => {
      this.#resync = setTimeout(
        () => {
          this.request();
          schedule();
        },
        minMs + Math.random() * (maxMs - minMs),
      );
      this.#resync.unref();
    };
    if (!this.#stopped) schedule();
  }

  request(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          await this.push();
        } catch (error) {
          this.log.warn({ err: error }, `${this.what} push failed; retried next round`);
        }
      } while (this.#again && !this.#stopped);
      this.#running = undefined;
    })();
  }

  /** Waits for the push under way, starting no other. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#resync);
    await this.#running;
  }
}
