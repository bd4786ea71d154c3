import { randomBytes } from "node:crypto";

/** A UUIDv7 (time-ordered), for request ids. */
export function v7(): string {
  const bytes = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` is a UUID; anything else names no row and must not reach a uuid column. */
export const isUuid = (id: string) => uuidPattern.test(id);

/** A Postgres array literal of UUIDs (`{a,b}`), for one `::uuid[]` parameter instead of one per id. */
export function uuidArray(ids: readonly string[]): string {
  const bad = ids.find((id) => !isUuid(id));
  if (bad !== undefined) throw new Error(`not a uuid: ${JSON.stringify(bad)}`);
  return `{${ids.join(",")}}`;
}
