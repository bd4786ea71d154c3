import type { z } from "zod";
import { InvalidMessage, type InvalidMessageKind, type MessageIssue } from "./errors";
import type { MessageInputOf, MessageOf, MessageType } from "./message";

/** The outcome of `decode`: the typed message, or the reason it was rejected. */
export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: InvalidMessage };

/** Called once for every rejected message (wire it to a `grove_protocol_rejected_messages_total` counter). */
export type RejectionListener = (rejection: InvalidMessage) => void;

const listeners = new Set<RejectionListener>();
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/**
 * Registers a listener for rejected messages; returns a function that removes it. A throwing listener
 * is ignored, so counting can never break message handling.
 *
 * @example
 * const off = onRejectedMessage((e) => rejected.inc({ type: e.messageType, kind: e.kind }));
 */
export function onRejectedMessage(listener: RejectionListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function reject(error: InvalidMessage): { ok: false; error: InvalidMessage } {
  for (const listener of listeners) {
    try {
      listener(error);
    } catch {
      // a metrics hook must not turn a rejected message into a crash
    }
  }
  return { ok: false, error };
}

function issuesOf(error: z.ZodError): MessageIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message: issue.message,
  }));
}

function invalid(
  type: MessageType,
  kind: InvalidMessageKind,
  issues: MessageIssue[],
  subject: string | undefined,
): InvalidMessage {
  return new InvalidMessage(type.name, kind, issues, subject);
}

/**
 * Validates a message against its type and serialises it to UTF-8 JSON. Throws `InvalidMessage` (and
 * nothing else) when the sender built a bad message, so bugs surface at the sender, not the receiver.
 *
 * @example
 * nc.publish(subjects.heartbeat(cellId), encode(CellHeartbeat, heartbeat));
 */
export function encode<M extends MessageType>(type: M, message: MessageInputOf<M>): Uint8Array {
  const parsed = type.schema.safeParse(message);
  if (!parsed.success) throw invalid(type, "invalid-fields", issuesOf(parsed.error), undefined);
  return encoder.encode(JSON.stringify(parsed.data));
}

/**
 * Serialises a message to UTF-8 JSON without validating it: for the hot paths only, where the
 * sender built the message from values already validated where they entered (an api request, a
 * stored row) and its shape is checked at compile time — the leader's start commands at thousands
 * a second, a thousand hollow cells' heartbeats. The receiver validates as always (`decode`).
 *
 * @example
 * nc.request(subjects.commands(cellId), serialize(CellCommand, { v: 1, command }));
 */
export function serialize<M extends MessageType>(_type: M, message: MessageInputOf<M>): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/**
 * Parses and validates received bytes (or a string). Never throws: returns the typed message or an
 * `InvalidMessage`, and notifies rejection listeners. `subject` only enriches the error.
 *
 * @example
 * const r = decode(CellHeartbeat, msg.data, msg.subject);
 * if (!r.ok) return log.warn({ err: r.error }, "rejected heartbeat");
 */
export function decode<M extends MessageType>(
  type: M,
  bytes: Uint8Array | string,
  subject?: string,
): DecodeResult<MessageOf<M>> {
  const raw = parseJson(type, bytes, subject);
  return raw.ok ? validate(type, raw.value, subject) : raw;
}

/**
 * Like `decode`, for a subject that carries two versions of a message (say, a single event at v 2
 * and a batch of them at v 3): the bytes are parsed once and validated against the type whose
 * version their `v` names; `of` says which (0: the first). A `v` of neither is rejected as an
 * unsupported version of the first.
 *
 * @example
 * const r = decodeEither([InstanceEvent, InstanceEvents], msg.data, msg.subject);
 * if (r.ok && r.value.of === 1) for (const event of r.value.message.events) …
 */
export function decodeEither<A extends MessageType, B extends MessageType>(
  types: readonly [A, B],
  bytes: Uint8Array | string,
  subject?: string,
): DecodeResult<{ of: 0; message: MessageOf<A> } | { of: 1; message: MessageOf<B> }> {
  const [a, b] = types;
  const raw = parseJson(a, bytes, subject);
  if (!raw.ok) return raw;
  const v = versionOf(raw.value);
  const of = b.versioned && v === b.version ? 1 : 0;
  const result = validate(of === 1 ? b : a, raw.value, subject);
  return result.ok ? { ok: true, value: { of, message: result.value } as never } : result;
}

const versionOf = (raw: unknown) =>
  typeof raw === "object" && raw !== null ? (raw as { v?: unknown }).v : undefined;

function parseJson(
  type: MessageType,
  bytes: Uint8Array | string,
  subject: string | undefined,
): { ok: true; value: unknown } | { ok: false; error: InvalidMessage } {
  try {
    return { ok: true, value: JSON.parse(typeof bytes === "string" ? bytes : decoder.decode(bytes)) };
  } catch (err) {
    return reject(invalid(type, "malformed-json", [{ path: "", message: (err as Error).message }], subject));
  }
}

function validate<M extends MessageType>(
  type: M,
  raw: unknown,
  subject: string | undefined,
): DecodeResult<MessageOf<M>> {
  if (type.versioned) {
    const v = versionOf(raw);
    if (v !== type.version) {
      const message = `expected v ${type.version}, got ${JSON.stringify(v) ?? "nothing"}`;
      return reject(invalid(type, "unsupported-version", [{ path: "v", message }], subject));
    }
  }
  const parsed = type.schema.safeParse(raw);
  if (!parsed.success) return reject(invalid(type, "invalid-fields", issuesOf(parsed.error), subject));
  return { ok: true, value: parsed.data as MessageOf<M> };
}

/**
 * Like `decode`, but throws the `InvalidMessage` instead of returning it.
 *
 * @example
 * const reply = decodeOrThrow(RegisterCellReply, (await nc.request(subjects.register, body)).data);
 */
export function decodeOrThrow<M extends MessageType>(
  type: M,
  bytes: Uint8Array | string,
  subject?: string,
): MessageOf<M> {
  const result = decode(type, bytes, subject);
  if (!result.ok) throw result.error;
  return result.value;
}
