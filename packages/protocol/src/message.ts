import { z } from "zod";

/**
 * The first schema version, which most Grove messages still carry in their `v` field. A message
 * type whose schema changes incompatibly gets the next version of its own (`versionField(2)`), so
 * a receiver refuses the old shape by its `v` with a clear reason instead of guessing.
 */
export const PROTOCOL_VERSION = 1 as const;

/** The `v` field of a message type at version 1: the schema version, checked before anything else on receipt. */
export const versionField = z.literal(PROTOCOL_VERSION);

/**
 * The `v` field of a message type at a later version; declare the same `version` to `defineMessage`.
 *
 * @example
 * defineMessage("logs.line", z.object({ v: versionAt(2), ... }), { version: 2 })
 */
export function versionAt<V extends number>(version: V): z.ZodLiteral<V> {
  return z.literal(version);
}

/**
 * A named message type: the zod schema plus the name used in errors and rejection counters.
 * `versioned` is false only for the Cloud Foundry router messages, whose format is not ours;
 * `version` is the `v` a versioned message must carry.
 */
export interface MessageType<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly schema: S;
  readonly versioned: boolean;
  readonly version: number;
}

/** The decoded (parsed, defaults applied) type of a message type. */
export type MessageOf<M extends MessageType> = z.output<M["schema"]>;
/** What a sender may pass to `encode` (defaults may be left out). */
export type MessageInputOf<M extends MessageType> = z.input<M["schema"]>;

/**
 * Declares a Grove message type, at `version` (default 1; its schema's `v` must be the same).
 *
 * @example
 * const Ping = defineMessage("ping", z.object({ v: versionField, at: isoTimestamp }));
 */
export function defineMessage<S extends z.ZodType>(
  name: string,
  schema: S,
  options: { versioned?: boolean; version?: number } = {},
): MessageType<S> {
  return Object.freeze({
    name,
    schema,
    versioned: options.versioned ?? true,
    version: options.version ?? PROTOCOL_VERSION,
  });
}
