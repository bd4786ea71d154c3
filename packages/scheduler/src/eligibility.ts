import type { CellTable } from "./cell-table";

/**
 * Which active cells can ever host a given (stack, tags) requirement. Stacks and tags do not change
 * while placing, so each distinct requirement is computed once and reused by every decision.
 */
export class EligibilityCache {
  private readonly masks = new Map<string, Uint8Array>();

  constructor(private readonly table: CellTable) {}

  mask(stack: string, tags: readonly string[]): Uint8Array {
    const key = tags.length === 0 ? stack : `${stack}\u0000${[...tags].sort().join("\u0000")}`;
    let mask = this.masks.get(key);
    if (mask === undefined) {
      mask = new Uint8Array(this.table.count);
      for (let i = 0; i < this.table.count; i++) {
        const cell = this.table.cells[i];
        if (cell?.stacks.includes(stack) && tags.every((t) => cell.tags.includes(t))) mask[i] = 1;
      }
      this.masks.set(key, mask);
    }
    return mask;
  }
}
