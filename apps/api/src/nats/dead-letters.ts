import { DEAD_LETTERS_STREAM, subjects } from "@grove/protocol";
import {
  DiscardPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import type { ApiMetrics } from "../metrics";

/** Headers a dead letter carries beside the original message's body. */
export const DEAD_LETTER_HEADERS = {
  stream: "Grove-Original-Stream",
  subject: "Grove-Original-Subject",
  sequence: "Grove-Original-Sequence",
  reason: "Grove-Dead-Letter-Reason",
  deliveries: "Grove-Delivery-Count",
} as const;

/** Creates the dead letters stream unless it exists; letters stay a week, 256 MiB at most. */
export async function ensureDeadLettersStream(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(DEAD_LETTERS_STREAM);
  } catch {
    await jsm.streams.add({
      name: DEAD_LETTERS_STREAM,
      subjects: [subjects.allDeadLetters],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: 7 * 24 * 3600 * 1_000_000_000,
      max_bytes: 256 * 1024 * 1024,
    });
  }
}

export interface DeadLetterOptions {
  nc: NatsConnection;
  metrics: ApiMetrics;
  log: Logger;
  /** deliveries of a message whose processing keeps failing before it is dead-lettered */
  maxDeliveries: number;
  /** first redelivery delay after a failure; it doubles per delivery, up to 30 s */
  redeliveryDelayMs: number;
}

/**
 * Settles JetStream messages a durable consumer could not use, so one bad message can never be
 * redelivered forever: an invalid one is moved to `GROVE_DEAD_LETTERS` at once; one whose
 * processing fails is redelivered with a growing delay and moved there after `maxDeliveries`.
 * A dead letter keeps the original body and names its stream, subject, sequence, the reason and
 * the delivery count in headers; `grove_dead_letters_total{stream,reason}` counts them.
 */
export class DeadLetters {
  readonly #js;

  constructor(private readonly options: DeadLetterOptions) {
    this.#js = jetstream(options.nc);
  }

  /** Moves `msg` (of `stream`) to the dead letters for `reason` and terminates it. */
  async bury(msg: JsMsg, stream: string, reason: string): Promise<void> {
    const h = headers();
    h.set(DEAD_LETTER_HEADERS.stream, stream);
    h.set(DEAD_LETTER_HEADERS.subject, msg.subject);
    h.set(DEAD_LETTER_HEADERS.sequence, String(msg.seq));
    h.set(DEAD_LETTER_HEADERS.reason, reason);
    h.set(DEAD_LETTER_HEADERS.deliveries, String(msg.info.deliveryCount));
    try {
      await this.#js.publish(subjects.deadLetters(stream), msg.data, { headers: h });
    } catch (error) {
      // not stored as a dead letter: keep the message where it is rather than lose it
      this.options.log.error({ err: error, subject: msg.subject }, "dead letter not stored; will retry");
      msg.nak(this.options.redeliveryDelayMs);
      return;
    }
    // no reason on the TERM: nats-server 2.9 ignores a "+TERM <reason>" and would redeliver
    msg.term();
    this.options.metrics.deadLetters.inc({ stream, reason });
    this.options.log.warn(
      { stream, subject: msg.subject, seq: msg.seq, reason, deliveries: msg.info.deliveryCount },
      "message dead-lettered",
    );
  }

  /**
   * After processing `msg` failed: redeliver it later, or bury it once it has used its deliveries.
   * A failure of the infrastructure (`isTransient`: Postgres down or restarting) is never the
   * message's fault: it is redelivered however often, so an outage dead-letters nothing.
   */
  async failed(msg: JsMsg, stream: string, error: unknown): Promise<void> {
    const deliveries = msg.info.deliveryCount;
    if (deliveries >= this.options.maxDeliveries && !isTransient(error)) {
      return this.bury(msg, stream, "processing-failed");
    }
    this.options.log.warn(
      { err: error, subject: msg.subject, seq: msg.seq, deliveries },
      "message not processed; will be redelivered",
    );
    msg.nak(Math.min(this.options.redeliveryDelayMs * 2 ** (deliveries - 1), 30_000));
  }
}

/**
 * Whether an error says the database could not be reached or was shutting down (SQLSTATE classes
 * 08, 53, 57, 58, serialization failures and deadlocks, or a connection error of the driver or
 * the OS) rather than that the message was wrong. Causes are looked through (drizzle wraps).
 */
export function isTransient(error: unknown): boolean {
  for (let e = error; e instanceof Error || (typeof e === "object" && e !== null); ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^(08|53|57|58|40001$|40P01$|E[A-Z]{3,}$|CONNECT)/.test(code))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
