import { OneAtATime } from "@grove/async";
import {
  decode,
  encode,
  PolicyChanged,
  PolicySliceReply,
  PolicySliceRequest,
  subjects,
} from "@grove/protocol";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { NetworkPolicyEnforcer } from "./network-policy";

export interface PolicyPullOptions {
  nats: NatsConnection;
  cellId: string;
  enforcer: Pick<NetworkPolicyEnforcer, "apply" | "revision">;
  log: Logger;
  /** the full resync's interval, drawn anew each time between these (default 30–60 s) */
  resyncMs?: { min: number; max: number };
  /** how long the api has to answer (default 5 s) */
  timeoutMs?: number;
}

/**
 * Keeps the cell's policy in step with Postgres by pulling: on start, whenever the api announces a
 * revision at least as new as the one enforced, and at a jittered 30–60 s full resync. It asks on
 * its own subject (the only one its NATS user may ask on), one pull at a time — an announcement
 * during a pull makes one more pull after it — and a failed pull is retried with backoff.
 */
export class PolicyPuller {
  readonly #o: PolicyPullOptions;
  readonly #log: Logger;
  #subscription: Subscription | undefined;
  readonly #pulls = new OneAtATime(() => this.#pullOnce());
  #closed = false;
  #resync: NodeJS.Timeout | undefined;
  #retry: NodeJS.Timeout | undefined;
  #retryMs = 1_000;

  constructor(options: PolicyPullOptions) {
    this.#o = options;
    this.#log = options.log.child({ component: "agent.policy" });
  }

  start(): void {
    this.#subscription = this.#o.nats.subscribe(subjects.policyChanged, {
      callback: (error, msg) => {
        if (error) return;
        const announced = decode(PolicyChanged, msg.data, msg.subject);
        if (announced.ok && announced.value.revision >= this.#o.enforcer.revision) this.pull();
      },
    });
    this.pull();
    this.#scheduleResync();
  }

  /** Pulls the slice now (or once more after the pull under way). */
  pull(): void {
    this.#pulls.request();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#resync);
    clearTimeout(this.#retry);
    this.#subscription?.unsubscribe();
    await this.#pulls.stop();
  }

  async #pullOnce(): Promise<void> {
    const { nats, cellId, enforcer } = this.#o;
    try {
      const body = encode(PolicySliceRequest, { v: 1, cellId, enforced: enforcer.revision });
      const answer = await nats.request(subjects.policySlice(cellId), body, {
        timeout: this.#o.timeoutMs ?? 5_000,
      });
      const reply = decode(PolicySliceReply, answer.data, answer.subject);
      if (!reply.ok) throw new Error(reply.error.message);
      if (!reply.value.ok) throw new Error(reply.value.error);
      await enforcer.apply(reply.value.slice);
      this.#retryMs = 1_000;
    } catch (error) {
      this.#log.warn(
        { err: (error as Error).message, retryInMs: this.#retryMs },
        "policy slice not pulled; the cell keeps enforcing what it has",
      );
      if (!this.#closed && !this.#retry) {
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          this.pull();
        }, this.#retryMs);
        this.#retry.unref();
        this.#retryMs = Math.min(this.#retryMs * 2, 30_000);
      }
    }
  }

  #scheduleResync(): void {
    const { min, max } = this.#o.resyncMs ?? { min: 30_000, max: 60_000 };
    this.#resync = setTimeout(
      () => {
        this.pull();
        this.#scheduleResync();
      },
      min + Math.random() * (max - min),
    );
    this.#resync.unref();
  }
}
