import { PreconditionFailed } from "../errors";

/** The strong ETag of a row version. */
export function etagOf(id: string, version: number): string {
  return `"${id}.${version}"`;
}

/**
 * Checks an `If-Match` header against the current ETag: absent or `*` passes; otherwise one of
 * the listed tags must be the current one, else `PreconditionFailed`.
 */
export function checkIfMatch(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(",").map((tag) => tag.trim());
  if (tags.includes("*") || tags.includes(current)) return;
  throw new PreconditionFailed(`If-Match ${ifMatch} does not match the current ETag ${current}`);
}
