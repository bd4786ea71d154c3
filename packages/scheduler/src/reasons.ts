import type { CellTable } from "./cell-table";
import type { Work } from "./types";

const isAmount = (n: number) => Number.isFinite(n) && n >= 0;

/** Why a work item is malformed, or undefined when it is fine. */
export function invalidWorkReason(work: Work): string | undefined {
  if (!(isAmount(work.memoryMb) && work.memoryMb > 0))
    return "invalid work: memoryMb must be a positive number";
  if (!isAmount(work.diskMb)) return "invalid work: diskMb must be a non-negative number";
  if (typeof work.stack !== "string" || work.stack === "") return "invalid work: stack is required";
  return undefined;
}

const list = (items: readonly string[]) => items.join(", ");

/**
 * Explains, in one sentence for people, why no cell could take `work`. Only called when a decision
 * found nothing, so it may look at every cell.
 */
export function unplacedReason(table: CellTable, eligible: Uint8Array, work: Work): string {
  const tags = work.tags ?? [];
  if (table.count === 0) {
    const { draining, lost } = table.inactive;
    const others = [draining && `${draining} draining`, lost && `${lost} lost`].filter(Boolean);
    return others.length > 0 ? `no active cells (${others.join(", ")})` : "no active cells";
  }

  const withStack = table.cells.filter((c) => c.stacks.includes(work.stack));
  if (withStack.length === 0) {
    return table.inactive.withStack.has(work.stack)
      ? `no active cell has stack ${work.stack}`
      : `no cell has stack ${work.stack}`;
  }

  let eligibleCount = 0;
  for (let i = 0; i < table.count; i++) eligibleCount += eligible[i] as number;
  if (eligibleCount === 0) {
    const missing = tags.filter((t) => !withStack.some((c) => c.tags.includes(t)));
    const stackNote = withStack.length < table.count ? ` with stack ${work.stack}` : "";
    return missing.length > 0
      ? `no cell${stackNote} has tags ${list(missing)}`
      : `no cell${stackNote} has all of tags ${list(tags)} together`;
  }

  let maxMemory = Number.NEGATIVE_INFINITY;
  let maxDisk = Number.NEGATIVE_INFINITY;
  let maxContainers = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < table.count; i++) {
    if (eligible[i] === 0) continue;
    maxMemory = Math.max(maxMemory, table.freeMemory[i] as number);
    maxDisk = Math.max(maxDisk, table.freeDisk[i] as number);
    maxContainers = Math.max(maxContainers, table.freeContainers[i] as number);
  }
  const mb = (n: number) => `${Math.max(0, Math.floor(n))} MB`;
  if (maxMemory < work.memoryMb) {
    return `insufficient memory: largest free ${mb(maxMemory)}, need ${mb(work.memoryMb)}`;
  }
  if (maxDisk < work.diskMb) return `insufficient disk: largest free ${mb(maxDisk)}, need ${mb(work.diskMb)}`;
  if (maxContainers < 1) return `insufficient container slots: all ${eligibleCount} eligible cells are full`;
  return (
    `insufficient resources: no cell has ${mb(work.memoryMb)} memory, ${mb(work.diskMb)} disk ` +
    "and a container slot free together"
  );
}
