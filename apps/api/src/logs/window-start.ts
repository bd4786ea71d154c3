import { AckPolicy, DeliverPolicy, type JetStreamManager } from "@nats-io/jetstream";

/**
 * How many messages of `filter` are stored in `stream` from sequence `seq` on: the pending count of
 * a consumer created there and removed at once (nothing is delivered).
 */
export async function storedFrom(
  jsm: JetStreamManager,
  stream: string,
  filter: string,
  seq: number,
): Promise<number> {
  const info = await jsm.consumers.add(stream, {
    filter_subject: filter,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: Math.max(seq, 1),
    ack_policy: AckPolicy.None,
    mem_storage: true,
    inactive_threshold: 30 * 1_000_000_000,
  });
  await jsm.consumers.delete(stream, info.name).catch(() => {});
  return info.num_pending;
}

/**
 * The sequence from which the last `count` messages of `filter` stored before `end` begin (or
 * `first`, when fewer are stored), so a reader starting there reads those and nothing older. JetStream
 * cannot read backwards, so this searches by counting: it gallops back from `end` in growing steps,
 * then bisects, about 2·log2(distance / count) counts, each one consumer created and removed.
 */
export async function windowStart(
  count: (seq: number) => Promise<number>,
  first: number,
  end: number,
  wanted: number,
): Promise<number> {
  const atEnd = await count(end);
  const before = async (seq: number) => (await count(seq)) - atEnd;
  // an app with few lines (or none) needs no search
  if ((await before(first)) <= wanted) return first;
  // invariant: before(lo) >= wanted (or lo === first), before(hi) < wanted
  let hi = end;
  let step = wanted;
  let lo = Math.max(first, end - step);
  let found = await before(lo);
  while (found < wanted && lo > first) {
    hi = lo;
    step *= 2;
    lo = Math.max(first, lo - step);
    found = await before(lo);
  }
  if (found <= wanted) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const atMid = await before(mid);
    if (atMid >= wanted) {
      lo = mid;
      if (atMid === wanted) break;
    } else hi = mid;
  }
  return lo;
}

/**
 * The last `wanted` items stored before `end`, read window by window backwards: `windowStart`
 * places each window, `read(from, to, counted)` returns the items kept from [from, to) (some may be
 * dropped), `counted` being how many the counts say it holds. The counts only guide: NATS 2.9's
 * file store sometimes counts a consumer's pending messages from the start of the block holding
 * its start sequence (seen here: 6 counted from a sequence with 4 after it), so a window can hold
 * more or fewer than counted. Each window read moves back, and the search ends only with enough
 * items, at the first sequence, or where nothing is stored from a window on.
 */
export async function lastItems<T>(
  count: (seq: number) => Promise<number>,
  read: (from: number, to: number, counted: number) => Promise<T[]>,
  first: number,
  end: number,
  wanted: number,
): Promise<T[]> {
  let items: T[] = [];
  let to = end;
  while (items.length < wanted && to > first) {
    const missing = wanted - items.length;
    let from = await windowStart(count, first, to, missing);
    if (from >= to) from = Math.max(first, to - missing);
    const after = await count(to); // first: an item arriving in between then only widens the read
    const fromOn = await count(from);
    if (fromOn === 0) break;
    items = [...(await read(from, to, Math.max(fromOn - after, 0))), ...items];
    to = from;
  }
  return items.slice(-wanted);
}
