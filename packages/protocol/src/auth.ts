import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Cell authentication scheme.
 *
 * On register the api issues a random credential (32 bytes, base64url) and stores only its SHA-256.
 * The agent keeps the credential in its state dir and puts it, with its cell id, in every message it
 * sends (heartbeat, state sync, instance events, log lines, command replies are replies on an inbox
 * and need none). The receiver hashes the presented credential and compares it in constant time with
 * the stored hash of the cell named in the message, and checks that the cell named in the subject is
 * the same cell. An HMAC over the payload would need the api to keep the secret itself; a bearer
 * credential lets it keep only a hash, at the price of relying on NATS (TLS + per-cell subject
 * permissions in production) to keep it from eavesdroppers — as an API token relies on HTTPS.
 */

/** Issues a fresh cell credential (43 base64url characters). */
export function generateCellCredential(): string {
  return randomBytes(32).toString("base64url");
}

/** The value the api stores for a credential: lowercase hex SHA-256. */
export function hashCellCredential(credential: string): string {
  return createHash("sha256").update(credential, "utf8").digest("hex");
}

/** Why a cell message was not accepted as coming from the cell it claims. */
export type CellAuthFailure = "unknown-cell" | "subject-mismatch" | "bad-credential";

/** The outcome of `authenticateCellMessage`. */
export type CellAuthResult = { ok: true; cellId: string } | { ok: false; reason: CellAuthFailure };

/**
 * Checks that a decoded message really comes from the cell it names.
 *
 * @param message the decoded message's `cellId` and `credential`
 * @param storedHash the credential hash stored for `message.cellId`, or undefined if no such cell
 * @param subjectCellId the cell token of the subject it arrived on, when the subject has one
 * @example
 * const auth = authenticateCellMessage(hb, await db.cellCredentialHash(hb.cellId), cellOfSubject(msg.subject));
 */
export function authenticateCellMessage(
  message: { cellId: string; credential: string },
  storedHash: string | undefined,
  subjectCellId?: string,
): CellAuthResult {
  if (subjectCellId !== undefined && subjectCellId !== message.cellId) {
    return { ok: false, reason: "subject-mismatch" };
  }
  if (storedHash === undefined) return { ok: false, reason: "unknown-cell" };
  const presented = Buffer.from(hashCellCredential(message.credential), "hex");
  const stored = Buffer.from(storedHash, "hex");
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) {
    return { ok: false, reason: "bad-credential" };
  }
  return { ok: true, cellId: message.cellId };
}
