import { randomUUID } from "node:crypto";
import { encode, InstanceEvent, subjects } from "@grove/protocol";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { CellIdentity } from "./identity";

type EventBody = Omit<InstanceEvent, "v" | "eventId" | "cellId" | "at">;

/**
 * Publishes instance events to JetStream in order, each with a unique id used as the JetStream
 * message id (so a retried publish is stored once). Events wait in an in-memory outbox while
 * JetStream is unreachable and are retried with backoff; after an agent restart the full state
 * sync tells the control plane what was missed.
 */
export class InstanceEventPublisher {
  readonly #outbox: InstanceEvent[] = [];
  #draining = false;
  #closed = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly identity: CellIdentity,
    private readonly log: Logger,
  ) {}

  publish(body: EventBody): void {
    const event = {
      ...body,
      v: 2,
      eventId: randomUUID(),
      cellId: this.identity.cellId,
      at: new Date().toISOString(),
    } as InstanceEvent;
    this.#outbox.push(event);
    void this.#drain();
  }

  /** Resolves when every queued event was acknowledged by JetStream (or the publisher closed). */
  async flushed(): Promise<void> {
    while (this.#outbox.length > 0 && !this.#closed) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  close(): void {
    this.#closed = true;
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    let delay = 100;
    try {
      while (this.#outbox.length > 0 && !this.#closed) {
        const event = this.#outbox[0] as InstanceEvent;
        try {
          await this.js.publish(subjects.instanceEvents(this.identity.cellId), encode(InstanceEvent, event), {
            msgID: event.eventId,
          });
          this.#outbox.shift();
          delay = 100;
        } catch (error) {
          this.log.warn({ err: error, instanceId: event.instanceId }, "event not published yet");
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 5_000);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}
