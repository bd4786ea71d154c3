import type { Database } from "@grove/db";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import {
  dueExports,
  dueImports,
  isSourceInUse,
  recordCopyFailure,
  recordExported,
  recordImported,
  settleVolumeStates,
} from "../repo/volume-moves";
import { exportVolume, importVolume, openVolumeData, type TransferOptions } from "./transfer";

/** The store object a move's data waits in between its old cell and its new one. */
export const moveObject = (volumeId: string) => `move-${volumeId}`;

export interface MoverDeps {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  transfer?: TransferOptions;
}

/** What one pass copied. */
export interface MoverResult {
  exported: number;
  imported: number;
  failed: number;
}

/**
 * One pass of the leader's volume data loop (Diego's evacuation, for data): a volume on a draining
 * cell is copied into the store once no instance there holds it (its instances stopped first), then
 * leaves the cell, so placement puts its next instance elsewhere; a volume whose data comes from the
 * store (a move, or a restored snapshot) is copied onto the cell placement claimed, and only then
 * may its instances start. The old copy is removed later, as a stray, from the cell's heartbeats.
 * A copy that fails is recorded on the volume and tried again next pass.
 */
export async function moveVolumeData(deps: MoverDeps): Promise<MoverResult> {
  const result: MoverResult = { exported: 0, imported: 0, failed: 0 };
  await settleVolumeStates(deps.db);
  const exports = await dueExports(deps.db);
  const imports = await dueImports(deps.db);
  if (exports.length === 0 && imports.length === 0) return result;
  const store = await openVolumeData(deps.nc);
  for (const move of exports) {
    const log = deps.log.child({ volumeId: move.volumeId, cellId: move.cellId });
    try {
      const archive = await exportVolume(
        deps.nc,
        store,
        { ...move, idle: true },
        moveObject(move.volumeId),
        deps.transfer,
      );
      if (await recordExported(deps.db, move, moveObject(move.volumeId))) {
        result.exported += 1;
        log.info({ bytes: archive.bytes }, "volume data copied off its draining cell");
      } else {
        // undrained (or deleted) meanwhile: the data stays where it is, the copy goes
        if (!(await isSourceInUse(deps.db, moveObject(move.volumeId))))
          await store.delete(moveObject(move.volumeId));
        log.info("volume data copy dropped: its cell is no longer draining");
      }
    } catch (error) {
      result.failed += 1;
      log.warn({ err: (error as Error).message }, "volume data not copied off its cell yet");
      await recordCopyFailure(
        deps.db,
        move.volumeId,
        `copy off its cell failed: ${(error as Error).message}`,
      );
    }
  }
  for (const copy of imports) {
    const log = deps.log.child({ volumeId: copy.volumeId, cellId: copy.cellId });
    try {
      const archive = await importVolume(deps.nc, store, copy, copy.sourceObject, deps.transfer);
      if (await recordImported(deps.db, copy)) {
        result.imported += 1;
        // a move's copy has done its job; a snapshot stays
        if (copy.sourceObject === moveObject(copy.volumeId)) await store.delete(copy.sourceObject);
      }
      log.info({ bytes: archive.bytes, source: copy.sourceObject }, "volume data copied onto its cell");
    } catch (error) {
      result.failed += 1;
      log.warn({ err: (error as Error).message }, "volume data not copied onto its cell yet");
      await recordCopyFailure(
        deps.db,
        copy.volumeId,
        `copy onto its cell failed: ${(error as Error).message}`,
      );
    }
  }
  return result;
}
