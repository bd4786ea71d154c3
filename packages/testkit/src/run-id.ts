import { randomBytes } from "node:crypto";

/**
 * A short id unique to this test process, for names that live outside the process: bridges, veths
 * (≤ 15 chars), netns, cgroups, nft tables. Lowercase letters and digits, starting with a letter.
 */
export const runId: string = `t${randomBytes(3).toString("hex")}`;

let counter = 0;

/** `<prefix><runId><n>`, e.g. uniqueName("br") → "brt3fa9c01"; stays within `maxLength`. */
export function uniqueName(prefix: string, maxLength = 15): string {
  counter += 1;
  const name = `${prefix}${runId}${counter.toString(36)}`;
  if (name.length > maxLength) throw new Error(`name ${name} is longer than ${maxLength}`);
  return name;
}
