import { randomUUID } from "node:crypto";
import { encode, InstanceEvent, InstanceEvents, MAX_EVENT_BATCH, serialize, subjects } from "@grove/protocol";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { CellIdentity } from "./identity";

type EventBody = Omit<InstanceEvent, "v" | "eventId" | "cellId" | "at">;

/** How long a batch's first event waits for others by default (`GROVE_EVENT_LINGER_MS`). */
export const EVENT_LINGER_MS = 50;

/** Events published together: one message, retried whole under the same id until stored. */
interface Outgoing {
  /** the JetStream message id (the event's id, or the batch's) */
  msgId: string;
  events: InstanceEvent[];
}

/**
 * Publishes instance events to JetStream in order, each message with a unique id used as its
 * JetStream message id (so a retried publish is stored once). Once the api has said it takes
 * batches (`batchUpTo`, from the state sync's reply), the events that queued while the previous
 * message was published go together in one `InstanceEvents` message (a burst of starts costs a few
 * messages, not one per event); until then each goes alone. A batch's first event waits `lingerMs`
 * for others to join it (unless the batch fills first): events come in bursts a few milliseconds
 * apart (a batch of starts turning RUNNING one by one), and without the wait each burst went as many
 * small messages, each a JetStream store, ack and delivery. Messages wait in an in-memory outbox
 * while JetStream is unreachable and are retried with backoff; after an agent restart the full
 * state sync tells the control plane what was missed.
 */
export class InstanceEventPublisher {
  readonly #queued: InstanceEvent[] = [];
  /** when each queued event was queued (`performance.now()`) */
  readonly #queuedAt: number[] = [];
  /** the message being published (kept whole across retries, so its id stays the same) */
  #outgoing: Outgoing | undefined;
  #maxBatch = 1;
  #draining = false;
  #closed = false;
  readonly #lingerMs: number;
  /** ends a linger early: the batch filled up, or the publisher closed */
  #lingerCut: (() => void) | undefined;

  /** validates each message before it goes (`encode`), or only serialises it (`serialize`) */
  readonly #toBytes: typeof encode;

  constructor(
    private readonly js: JetStreamClient,
    private readonly identity: Pick<CellIdentity, "cellId">,
    private readonly log: Logger,
    /**
     * false: messages are serialised without validation — for a thousand hollow cells in one process,
     * whose CPU stands in for a thousand machines'; an agent validates what it sends
     */
    options: { validate?: boolean; lingerMs?: number } = {},
  ) {
    this.#toBytes = options.validate === false ? serialize : encode;
    this.#lingerMs = options.lingerMs ?? EVENT_LINGER_MS;
  }

  publish(body: EventBody): void {
    const event = {
      ...body,
      v: 2,
      eventId: randomUUID(),
      cellId: this.identity.cellId,
      at: new Date().toISOString(),
    } as InstanceEvent;
    this.#queued.push(event);
    this.#queuedAt.push(performance.now());
    if (this.#queued.length >= this.#maxBatch) this.#lingerCut?.();
    void this.#drain();
  }

  /** The api takes up to `max` events in one message (1: each alone). */
  batchUpTo(max: number): void {
    this.#maxBatch = Math.max(1, Math.min(max, MAX_EVENT_BATCH));
  }

  /** Resolves when every queued event was acknowledged by JetStream (or the publisher closed). */
  async flushed(): Promise<void> {
    while ((this.#outgoing || this.#queued.length > 0) && !this.#closed)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  close(): void {
    this.#closed = true;
    this.#lingerCut?.();
  }

  /**
   * How long the next batch waits before it goes: until its oldest event has waited `lingerMs`, or
   * not at all once it is full (an event that queued while the previous message was out has waited
   * that long already) or while the api takes events one at a time.
   */
  #lingerLeft(): number {
    const oldest = this.#queuedAt[0];
    if (this.#maxBatch === 1 || oldest === undefined || this.#queued.length >= this.#maxBatch) return 0;
    return oldest + this.#lingerMs - performance.now();
  }

  #linger(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.#lingerCut?.(), ms);
      this.#lingerCut = () => {
        clearTimeout(timer);
        this.#lingerCut = undefined;
        resolve();
      };
    });
  }

  #next(): Outgoing | undefined {
    if (this.#queued.length === 0) return undefined;
    const events = this.#queued.splice(0, this.#maxBatch);
    this.#queuedAt.splice(0, events.length);
    return { msgId: events.length === 1 ? (events[0] as InstanceEvent).eventId : randomUUID(), events };
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    let delay = 100;
    const subject = subjects.instanceEvents(this.identity.cellId);
    try {
      while (!this.#closed) {
        const lingerLeft = this.#outgoing ? 0 : this.#lingerLeft();
        if (lingerLeft > 0) await this.#linger(lingerLeft);
        if (this.#closed) break;
        this.#outgoing ??= this.#next();
        const outgoing = this.#outgoing;
        if (!outgoing) break;
        const [first] = outgoing.events as [InstanceEvent];
        const body =
          outgoing.events.length === 1
            ? this.#toBytes(InstanceEvent, first)
            : this.#toBytes(InstanceEvents, {
                v: 3,
                batchId: outgoing.msgId,
                cellId: this.identity.cellId,
                events: outgoing.events,
              });
        try {
          await this.js.publish(subject, body, { msgID: outgoing.msgId });
          this.#outgoing = undefined;
          delay = 100;
        } catch (error) {
          this.log.warn(
            { err: error, instanceId: first.instanceId, events: outgoing.events.length },
            "event not published yet",
          );
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 5_000);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
