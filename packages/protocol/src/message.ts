import { z } from "zod";

/** The schema version every Grove message carries in its `v` field. Bump it for breaking changes. */
export const PROTOCOL_VERSION = 1 as const;

/** The `v` field: the schema version, checked before anything else on receipt. */
export const versionField = z.literal(PROTOCOL_VERSION);

/**
 * A named message type: the zod schema plus the name used in errors and rejection counters.
 * `versioned` is false only for the Cloud Foundry router messages, whose format is not ours.
 */
export interface MessageType<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
  readonly versioned: boolean;
}

/** The decoded (parsed, defaults applied) type of a message type. */
export type MessageOf<M extends MessageType> = z.output<M["schema"]>;
/** What a sender may pass to `encode` (defaults may be left out). */
export type MessageInputOf<M extends MessageType> = z.input<M["schema"]>;

/**
 * Declares a Grove message type.
 *
 * @example
 * const Ping = defineMessage("ping", z.object({ v: versionField, at: isoTimestamp }));
 */
export function defineMessage<S extends z.ZodType>(
  name: string,
  schema: S,
  options: { versioned?: boolean } = {},
): MessageType<S> {
  return Object.freeze({ name, schema, versioned: options.versioned ?? true });
}
