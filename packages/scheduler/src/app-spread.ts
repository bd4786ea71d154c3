import type { CellTable } from "./cell-table";

/** Where one app's instances are: count per cell (sparse, by table index) and per zone. */
export interface AppSpread {
  readonly onCell: Map<number, number>;
  readonly inZone: Uint32Array;
}

/**
 * Per-app instance counts on active cells. Kept sparse because an app usually sits on a handful of a
 * thousand cells; a decision copies the app's few counts into a shared scratch column for the scan
 * and clears them afterwards, so memory stays O(cells + instances), not O(apps × cells).
 */
export class AppSpreads {
  private readonly spreads = new Map<string, AppSpread>();
  readonly scratch: Float64Array;

  constructor(private readonly table: CellTable) {
    this.scratch = new Float64Array(table.count);
    for (let i = 0; i < table.count; i++) {
      const instances = table.cells[i]?.appInstances ?? {};
      for (const appId in instances) {
        const n = instances[appId] ?? 0;
        if (n > 0) this.record(appId, i, n);
      }
    }
  }

  of(appId: string): AppSpread {
    let spread = this.spreads.get(appId);
    if (spread === undefined) {
      spread = { onCell: new Map(), inZone: new Uint32Array(this.table.zoneCount) };
      this.spreads.set(appId, spread);
    }
    return spread;
  }

  record(appId: string, cell: number, instances = 1): void {
    const spread = this.of(appId);
    spread.onCell.set(cell, (spread.onCell.get(cell) ?? 0) + instances);
    const zone = this.table.zoneOf[cell] as number;
    spread.inZone[zone] = (spread.inZone[zone] as number) + instances;
  }

  /** Fills the scratch column with the app's per-cell counts (call `clear` after the scan). */
  load(spread: AppSpread): void {
    for (const [cell, n] of spread.onCell) this.scratch[cell] = n;
  }

  clear(spread: AppSpread): void {
    for (const cell of spread.onCell.keys()) this.scratch[cell] = 0;
  }
}
