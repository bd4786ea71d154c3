/** Why a message was rejected: bytes that are not JSON, a schema version we do not speak, or bad fields. */
export type InvalidMessageKind = "malformed-json" | "unsupported-version" | "invalid-fields";

/** One field-level problem, with its dotted path ("" for the message itself). */
export interface MessageIssue {
  path: string;
  message: string;
}

/** Base class of every error this package throws. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * A message that failed validation, on receipt (`decode`) or before sending (`encode`). Carries the
 * message type's name and the field issues so a receiver can log and count it without crashing.
 */
export class InvalidMessage extends ProtocolError {
  constructor(
    readonly messageType: string,
    readonly kind: InvalidMessageKind,
    readonly issues: readonly MessageIssue[],
    readonly subject?: string,
  ) {
    super(
      `invalid ${messageType} message (${kind})${subject ? ` on ${subject}` : ""}: ${issues
        .slice(0, 5)
        .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
        .join("; ")}`,
    );
  }
}

/** A value that cannot be one token of a NATS subject (empty, or containing `.`, `*`, `>` or whitespace). */
export class InvalidSubjectToken extends ProtocolError {
  constructor(
    readonly field: string,
    readonly value: string,
  ) {
    super(`invalid ${field} for a NATS subject token: ${JSON.stringify(value)}`);
  }
}
