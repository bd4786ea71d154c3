import type { Database } from "@grove/db";
import { VOLUME_DATA_BUCKET } from "@grove/protocol";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { neededObjects } from "../repo/volume-moves";
import { openVolumeData } from "./transfer";

/** How old what the sweep removes must be (the leader's defaults; tests pass 0). */
export interface SweepAges {
  /**
   * a stored object nothing needs (no snapshot row, no volume coming from it): a snapshot whose
   * row was never written (the api died, or the delete after a failure failed), a move's copy
   * left by a crash. The row is written right after the object, so minutes are plenty.
   */
  objectMs: number;
  /**
   * chunks of an object whose description was never written (an api that died mid-copy; a put
   * that fails cleans up its own), counted from the last chunk: a copy under way adds one every
   * few hundred milliseconds, a cell's slowest step answers within half a minute
   */
  chunkMs: number;
}

export const SWEEP_AGES: SweepAges = { objectMs: 10 * 60_000, chunkMs: 30 * 60_000 };

/** What one sweep removed. */
export interface SweepResult {
  objects: number;
  chunks: number;
}

/**
 * Removes from the volume data store what nothing needs any more and is old enough not to be a
 * copy still being recorded: whole objects without a snapshot row or a volume coming from them,
 * and chunks that no object describes.
 */
export async function sweepVolumeData(
  deps: { db: Database; nc: NatsConnection },
  ages: SweepAges = SWEEP_AGES,
  now = Date.now(),
): Promise<SweepResult> {
  const result: SweepResult = { objects: 0, chunks: 0 };
  const store = await openVolumeData(deps.nc);
  const infos = await store.list();
  const needed = await neededObjects(deps.db);
  for (const info of infos) {
    if (info.deleted || needed.has(info.name)) continue;
    if (now - Date.parse(info.mtime) < ages.objectMs) continue;
    // a snapshot recorded between the two reads above is needed after all
    if ((await neededObjects(deps.db)).has(info.name)) continue;
    await store.delete(info.name);
    result.objects += 1;
  }
  // chunks are under $O.<bucket>.C.<nuid>; an object's description names its nuid
  const described = new Set(infos.filter((info) => !info.deleted).map((info) => info.nuid));
  const stream = `OBJ_${VOLUME_DATA_BUCKET}`;
  const jsm = await jetstreamManager(deps.nc);
  const state = await jsm.streams.info(stream, { subjects_filter: `$O.${VOLUME_DATA_BUCKET}.C.>` });
  for (const subject of Object.keys(state.state.subjects ?? {})) {
    const nuid = subject.slice(subject.lastIndexOf(".") + 1);
    if (described.has(nuid)) continue;
    const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
    if (!last || now - last.time.getTime() < ages.chunkMs) continue;
    // described since the list above (a put that just finished): not an orphan
    if ((await store.list()).some((info) => info.nuid === nuid && !info.deleted)) continue;
    await jsm.streams.purge(stream, { filter: subject });
    result.chunks += 1;
  }
  return result;
}
