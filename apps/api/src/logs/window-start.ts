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
