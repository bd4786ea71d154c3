/** What an archive has put at a path so far; "fresh-dir" replaced whatever the destination had. */
export type Declared = "dir" | "fresh-dir" | "file" | "symlink" | "deleted";

/** One path of the simulated tree; a node without `kind` is only a parent of declared paths. */
export interface PlanNode {
  kind?: Declared;
  /** a symlink's target */
  target?: string;
  /** an opaque whiteout hides the destination's own entries below this directory */
  opaque?: boolean;
  children?: Map<string, PlanNode>;
}

/** What a walk to a path found: the node there (if any), and whether the destination's own entry shows. */
export interface Probe {
  node: PlanNode | undefined;
  diskVisible: boolean;
}

/**
 * The tree an archive builds, as a trie of path segments, so every question about a path costs
 * one step per segment (never a scan of everything declared so far).
 */
export class PlanTree {
  readonly root: PlanNode = {};

  /** The node at `segments` and whether the destination's entry there still shows through. */
  probe(segments: readonly string[]): Probe {
    let node: PlanNode = this.root;
    for (let i = 0; i < segments.length; i++) {
      if (node.opaque) return { node: below(node, segments, i), diskVisible: false };
      const next: PlanNode | undefined = node.children?.get(segments[i] as string);
      if (next === undefined) return { node: undefined, diskVisible: true };
      if (i < segments.length - 1 && next.kind !== undefined && next.kind !== "dir") {
        return { node: below(next, segments, i + 1), diskVisible: false };
      }
      node = next;
    }
    return { node, diskVisible: node.kind === undefined };
  }

  /** Declares `segments` as `kind`; a directory merged into a directory keeps what is below it. */
  declare(segments: readonly string[], kind: Declared, target?: string): void {
    const parent = this.#parentOf(segments);
    const base = segments[segments.length - 1] as string;
    const existing = parent.children?.get(base);
    const merges =
      (kind === "dir" || kind === "fresh-dir") &&
      existing !== undefined &&
      (existing.kind === undefined || existing.kind === "dir" || existing.kind === "fresh-dir");
    if (merges) {
      existing.kind = kind;
      return;
    }
    parent.children ??= new Map();
    parent.children.set(base, target === undefined ? { kind } : { kind, target });
  }

  /** Marks the directory at `segments` opaque. */
  markOpaque(segments: readonly string[]): void {
    let node = this.root;
    for (const segment of segments) node = child(node, segment);
    node.opaque = true;
  }

  #parentOf(segments: readonly string[]): PlanNode {
    let node = this.root;
    for (let i = 0; i < segments.length - 1; i++) node = child(node, segments[i] as string);
    return node;
  }
}

function child(node: PlanNode, segment: string): PlanNode {
  node.children ??= new Map();
  let found = node.children.get(segment);
  if (found === undefined) {
    found = {};
    node.children.set(segment, found);
  }
  return found;
}

/** The declared node at `segments`, walking on from `node` at depth `from`, without the disk. */
function below(node: PlanNode, segments: readonly string[], from: number): PlanNode | undefined {
  let current: PlanNode | undefined = node;
  for (let i = from; i < segments.length && current; i++)
    current = current.children?.get(segments[i] as string);
  return current;
}
