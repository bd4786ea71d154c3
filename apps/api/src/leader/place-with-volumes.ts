import { type ClusterSnapshot, createPlacer, placementOrder } from "@grove/scheduler";
import type { UnplacedInstance } from "../repo/placement";

/** What placing one round's work decided, including the cells it chose for volumes not yet made. */
export interface VolumePlacement {
  placements: { instanceId: string; cellId: string }[];
  unplaced: { instanceId: string; reason: string }[];
  /** volumes that had no cell, and the cell where their first instance goes (their data's home) */
  claims: { volumeId: string; cellId: string }[];
}

/**
 * Places a round's work (in the scheduler's order) with the volumes it mounts, without I/O: an instance
 * mounting a volume whose data lives on a cell goes only there (the scheduler's affinity); a volume
 * without a cell gets the cell its first instance goes to, and every later instance this round
 * mounting it follows. An instance whose volumes live on different cells cannot be placed, nor one
 * whose volume is still to be copied off its draining cell (it is placed once the copy is stored).
 * An instance whose volume's data is on a lost cell waits for that cell (as a pod bound to a local
 * volume on a dead node stays Pending): the data exists nowhere else, and the reason says how to
 * restore a snapshot instead. `cellNames` turns cell ids in reasons into names.
 */
export function placeWithVolumes(
  snapshot: ClusterSnapshot,
  work: readonly UnplacedInstance[],
  cellNames: ReadonlyMap<string, string> = new Map(),
): VolumePlacement {
  const placer = createPlacer(snapshot);
  const volumeCells = new Map<string, string>();
  for (const item of work)
    for (const volume of item.volumes) if (volume.cellId !== null) volumeCells.set(volume.id, volume.cellId);
  const cellStates = new Map(snapshot.cells.map((cell) => [cell.id, cell.state]));
  const named = (reason: string) =>
    reason.replace(/cell ([0-9a-f-]{36})/g, (_match, id) => `cell ${cellNames.get(id) ?? id}`);
  const result: VolumePlacement = { placements: [], unplaced: [], claims: [] };
  for (const item of [...work].sort(placementOrder)) {
    const cells = new Map<string, string[]>();
    for (const volume of item.volumes) {
      const cellId = volumeCells.get(volume.id);
      if (cellId !== undefined) cells.set(cellId, [...(cells.get(cellId) ?? []), volume.name]);
    }
    // a volume whose cell was lost before its copy was made waits for that cell (below)
    const leaving = item.volumes.find(
      (volume) =>
        volume.state === "moving" && volume.cellId !== null && cellStates.get(volume.cellId) !== "lost",
    );
    if (leaving) {
      result.unplaced.push({
        instanceId: item.instanceId,
        reason: named(
          `volume ${leaving.name} is moving off cell ${leaving.cellId} (draining): the instance starts on another cell once its data is copied`,
        ),
      });
      continue;
    }
    if (cells.size > 1) {
      const where = [...cells].map(([cellId, names]) => `${names.join(", ")} on cell ${cellId}`);
      result.unplaced.push({
        instanceId: item.instanceId,
        reason: named(`its volumes live on different cells (${where.join("; ")})`),
      });
      continue;
    }
    const [volumeCellId] = cells.keys();
    const decision = placer.place({
      appId: item.appId,
      index: item.index,
      memoryMb: item.memoryMb,
      diskMb: item.diskMb,
      stack: item.stack,
      ...(volumeCellId === undefined ? {} : { volumeCellId }),
    });
    if (!decision.ok) {
      const lost = volumeCellId !== undefined && cellStates.get(volumeCellId) === "lost";
      const names = cells.get(volumeCellId ?? "")?.join(" ") ?? "";
      const reason = lost
        ? `${decision.reason}: the instance starts when the cell is back, or elsewhere once a snapshot is restored (scale to 0, then grove volumes restore ${names} SNAPSHOT)`
        : decision.reason;
      result.unplaced.push({ instanceId: item.instanceId, reason: named(reason) });
      continue;
    }
    result.placements.push({ instanceId: item.instanceId, cellId: decision.cellId });
    for (const volume of item.volumes) {
      if (volumeCells.has(volume.id)) continue;
      volumeCells.set(volume.id, decision.cellId);
      result.claims.push({ volumeId: volume.id, cellId: decision.cellId });
    }
  }
  return result;
}
