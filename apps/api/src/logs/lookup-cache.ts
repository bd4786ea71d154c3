/** Entries kept before the cache starts over. */
export const MAX_CACHED = 100_000;
/** How long "not found" is believed before asking again. */
const MISS_TTL_MS = 10_000;

/**
 * Answers of a lookup that never change once found (an instance's placement, an app's tenant),
 * kept for the api's life so log lines are checked without a query each; a miss is asked again
 * after `MISS_TTL_MS` (the row may not be written yet). Starts over past `MAX_CACHED` entries.
 */
export class LookupCache<V> {
  readonly #entries = new Map<string, { value: V } | { missUntil: number }>();

  constructor(private readonly load: (key: string) => Promise<V | undefined>) {}

  async get(key: string): Promise<V | undefined> {
    const cached = this.#entries.get(key);
    if (cached && "value" in cached) return cached.value;
    if (cached && cached.missUntil > Date.now()) return undefined;
    const value = await this.load(key);
    if (this.#entries.size >= MAX_CACHED) this.#entries.clear();
    this.#entries.set(key, value === undefined ? { missUntil: Date.now() + MISS_TTL_MS } : { value });
    return value;
  }
}
