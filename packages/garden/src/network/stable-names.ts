import { createHash } from "node:crypto";

/**
 * nft object names that depend only on what they stand for (a hash of a key), so that rendering a
 * changed policy keeps every unchanged object's name; a rare hash clash gets a suffix.
 */
export class StableNames {
  readonly #keyOf = new Map<string, string>();

  of(prefix: string, key: string): string {
    const base = `${prefix}${createHash("sha1").update(key).digest("hex").slice(0, 12)}`;
    for (let n = 0; ; n++) {
      const name = n === 0 ? base : `${base}_${n}`;
      const taken = this.#keyOf.get(name);
      if (taken === undefined) this.#keyOf.set(name, key);
      if (taken === undefined || taken === key) return name;
    }
  }
}
