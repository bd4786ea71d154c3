import type { CellReport } from "./cell-reports";

/** An instance a cell reports, with that cell. */
export interface ReportedPair {
  cellId: string;
  instanceId: string;
}

/**
 * The pairs a round checks for strays, kept between rounds so that a steady round checks only what
 * changed, not every instance every cell reports (100,000 lookups a round at 1,000 cells, most of a
 * steady round's time). A pair can become a stray only when its cell's report changes (a report
 * read again is a new object: `CellReports` keeps the same one while its digest holds) or when the
 * view's instance moves (its cell changed, or it left the view: stopped); a pair found unexplained
 * stays a suspect, checked every round while its cell still reports it (a stray's stop is sent
 * again until the cell stops reporting it). `moved` "all" (the view was read whole: every five
 * minutes, and first) checks every pair.
 */
export class StrayCandidates {
  /** each cell's report as last checked (by identity) */
  readonly #checked = new Map<string, CellReport>();
  /** the cell(s) reporting each instance, as last checked; two cells for one instance are rare */
  readonly #reporters = new Map<string, string | string[]>();
  /** pairs unexplained at the last check, by instance */
  #suspects = new Map<string, string[]>();

  /**
   * The pairs of `reported` that `expectedCell` (the view) does not explain: those of changed
   * reports, of `moved` instances and of the last check's suspects (every pair with "all"). They
   * are this check's suspects.
   */
  unexplained(
    reported: ReadonlyMap<string, CellReport>,
    moved: ReadonlySet<string> | "all",
    expectedCell: (instanceId: string) => string | null | undefined,
  ): ReportedPair[] {
    const candidates: ReportedPair[] = [];
    for (const [cellId, was] of this.#checked) {
      const now = reported.get(cellId);
      if (now === was) continue;
      for (const instanceId of was.instances) this.#unreport(instanceId, cellId);
      this.#checked.delete(cellId);
    }
    for (const [cellId, report] of reported) {
      if (this.#checked.get(cellId) === report) continue;
      this.#checked.set(cellId, report);
      for (const instanceId of report.instances) {
        this.#report(instanceId, cellId);
        if (moved !== "all") candidates.push({ cellId, instanceId });
      }
    }
    if (moved === "all") {
      for (const [cellId, report] of reported)
        for (const instanceId of report.instances) candidates.push({ cellId, instanceId });
    } else {
      for (const instanceId of moved)
        for (const cellId of this.reportersOf(instanceId)) candidates.push({ cellId, instanceId });
      // still reported: its cell's report is the one checked (a changed one's pairs are in already)
      for (const [instanceId, cellIds] of this.#suspects)
        for (const cellId of cellIds)
          if (reported.get(cellId)?.instances.includes(instanceId)) candidates.push({ cellId, instanceId });
    }
    const suspects = new Map<string, string[]>();
    const unexplained: ReportedPair[] = [];
    for (const pair of candidates) {
      if (expectedCell(pair.instanceId) === pair.cellId) continue;
      const cells = suspects.get(pair.instanceId);
      if (cells?.includes(pair.cellId)) continue;
      if (cells) cells.push(pair.cellId);
      else suspects.set(pair.instanceId, [pair.cellId]);
      unexplained.push(pair);
    }
    this.#suspects = suspects;
    return unexplained;
  }

  /** The cells whose last checked report names `instanceId`. */
  reportersOf(instanceId: string): readonly string[] {
    const reporters = this.#reporters.get(instanceId);
    return reporters === undefined ? [] : typeof reporters === "string" ? [reporters] : reporters;
  }

  #report(instanceId: string, cellId: string): void {
    const reporters = this.#reporters.get(instanceId);
    if (reporters === undefined) this.#reporters.set(instanceId, cellId);
    else if (typeof reporters === "string") {
      if (reporters !== cellId) this.#reporters.set(instanceId, [reporters, cellId]);
    } else if (!reporters.includes(cellId)) reporters.push(cellId);
  }

  #unreport(instanceId: string, cellId: string): void {
    const reporters = this.#reporters.get(instanceId);
    if (reporters === cellId) this.#reporters.delete(instanceId);
    else if (Array.isArray(reporters)) {
      const rest = reporters.filter((id) => id !== cellId);
      this.#reporters.set(instanceId, rest.length === 1 ? (rest[0] as string) : rest);
      if (rest.length === 0) this.#reporters.delete(instanceId);
    }
  }
}
