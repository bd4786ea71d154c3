import { ArchiveLimitExceeded, InvalidArchive } from "./errors";
import type { ArchiveLimits } from "./limits";
import { entrySegments, whiteoutOf } from "./paths";
import { type PlanNode, PlanTree } from "./plan-tree";

/** What the destination already holds at a path (relative, "/"-joined); only images need one. */
export interface DiskEntry {
  kind: "dir" | "file" | "symlink" | "other";
  /** a symlink's target */
  target?: string;
}

/** Looks up the destination's own entries; without one the destination is taken to be empty. */
export type DiskView = (key: string) => Promise<DiskEntry | null>;

export interface PlanOptions {
  limits: ArchiveLimits;
  /** "contained" refuses symlinks whose target leaves the destination; "any" (image layers) keeps them */
  symlinks: "contained" | "any";
  /** device nodes and fifos: refuse the archive, or leave them out */
  devices: "reject" | "skip";
  /** apply OCI whiteouts to what the destination already holds */
  whiteouts: boolean;
  disk?: DiskView;
}

/** The header fields the planner reads (tar-stream's Header fits). */
export interface MemberHeader {
  name: string;
  type?: string | null;
  linkname?: string | null;
  /** the body's size as the header declares it */
  size?: number | null;
}

const noDisk: DiskView = async () => null;

/**
 * Judges an archive member by member, before anything is written: refuses members that would land
 * outside the destination, write through a symlink (from the archive or already there), link to
 * something outside, are devices or fifos, or go past a limit. It simulates what earlier members
 * (and whiteouts) do to the tree, so later members are judged against the tree as it will be.
 *
 * Every member costs at most a constant per path segment, plus link resolution, which follows at
 * most `maxLinkDepth` symlinks per link and `maxLinkSteps` segments per archive: no archive can
 * make it exponential or quadratic.
 *
 * @example
 * const planner = new ArchivePlanner({ limits, symlinks: "contained", devices: "reject", whiteouts: false });
 * for await (const entry of tarEntries(path, limits)) { entry.resume(); await planner.add(entry.header); }
 */
export class ArchivePlanner {
  entries = 0;
  links = 0;
  /** bytes the headers declare, headers included: an archive saying it is too large is refused at once */
  declaredBytes = 0;
  #steps = 0;
  readonly #tree = new PlanTree();
  readonly #disk: DiskView;

  constructor(private readonly options: PlanOptions) {
    this.#disk = options.disk ?? noDisk;
  }

  /** Takes the next member; throws `InvalidArchive` (or `ArchiveLimitExceeded`) to refuse the archive. */
  async add(header: MemberHeader): Promise<void> {
    const { limits } = this.options;
    const name = header.name;
    const type = header.type ?? "file";
    if (++this.entries > limits.maxEntries) {
      throw new ArchiveLimitExceeded(
        name,
        "entries",
        limits.maxEntries,
        `more than ${limits.maxEntries} entries`,
      );
    }
    this.declaredBytes += 512 + (header.size ?? 0);
    if (this.declaredBytes > limits.maxUnpackedBytes) {
      const max = limits.maxUnpackedBytes;
      throw new ArchiveLimitExceeded(name, "unpackedBytes", max, `more than ${max} bytes unpacked`);
    }
    this.#checkLength(name, name);
    const segments = entrySegments(name);
    if (segments.length === 0) {
      if (type !== "directory")
        throw new InvalidArchive(name, "only a directory may name the destination itself");
      return;
    }
    const parent = segments.slice(0, -1);
    const base = segments[segments.length - 1] as string;
    const whiteout = this.options.whiteouts ? whiteoutOf(base) : undefined;
    await this.#checkDirChain(name, parent);
    if (whiteout) {
      if (whiteout.kind === "opaque") this.#tree.markOpaque(parent);
      if (whiteout.kind === "delete") {
        if (whiteout.name === "" || whiteout.name === "." || whiteout.name === "..") {
          throw new InvalidArchive(name, "whiteout of an invalid name");
        }
        this.#tree.declare([...parent, whiteout.name], "deleted");
      }
      return;
    }
    switch (type) {
      case "directory":
        this.#tree.declare(segments, (await this.#replacesOnDisk(segments)) ? "fresh-dir" : "dir");
        return;
      case "file":
      case "contiguous-file":
        this.#tree.declare(segments, "file");
        return;
      case "symlink":
        return this.#symlink(name, segments, header.linkname ?? "");
      case "link":
        return this.#hardlink(name, segments, header.linkname ?? "");
      case "character-device":
      case "block-device":
      case "fifo":
        if (this.options.devices === "reject")
          throw new InvalidArchive(name, `${type} entries are not allowed`);
        return;
      default:
        throw new InvalidArchive(name, `unsupported entry type ${type}`);
    }
  }

  async #symlink(name: string, segments: string[], target: string): Promise<void> {
    this.#countLink(name);
    this.#checkLength(name, target);
    if (target === "") throw new InvalidArchive(name, "symlink without a target");
    if (this.options.symlinks === "contained") {
      const resolved = await this.#resolve(name, segments.slice(0, -1), target, { follows: 0 });
      if (resolved === null) {
        throw new InvalidArchive(name, `symlink target ${JSON.stringify(target)} leaves the destination`);
      }
    }
    this.#tree.declare(segments, "symlink", target);
  }

  async #hardlink(name: string, segments: string[], linkname: string): Promise<void> {
    this.#countLink(name);
    this.#checkLength(name, linkname);
    let target: string[];
    try {
      target = entrySegments(linkname);
    } catch {
      throw new InvalidArchive(name, `hardlink target ${JSON.stringify(linkname)} leaves the destination`);
    }
    if (target.length === 0 || target.join("/") === segments.join("/")) {
      throw new InvalidArchive(name, "bad hardlink target");
    }
    const { node, diskVisible } = this.#tree.probe(target);
    if (node?.kind !== "file") {
      if (node?.kind !== undefined)
        throw new InvalidArchive(name, `hardlink target ${target.join("/")} is not a file`);
      await this.#checkDirChain(name, target.slice(0, -1));
      const onDisk = diskVisible ? await this.#disk(target.join("/")) : null;
      if (onDisk?.kind !== "file") {
        throw new InvalidArchive(name, `hardlink target ${target.join("/")} is not a file of this archive`);
      }
    }
    this.#tree.declare(segments, "file");
  }

  #countLink(name: string): void {
    const max = this.options.limits.maxLinks;
    if (++this.links > max) throw new ArchiveLimitExceeded(name, "links", max, `more than ${max} links`);
  }

  #checkLength(name: string, path: string): void {
    const max = this.options.limits.maxPathLength;
    // a UTF-16 code unit is at most 3 bytes of UTF-8: short strings need no counting
    if (path.length * 3 > max && Buffer.byteLength(path) > max) {
      throw new ArchiveLimitExceeded(name, "pathLength", max, `a path longer than ${max} bytes`);
    }
  }

  /** Every segment must end up a real directory inside the destination. */
  async #checkDirChain(name: string, segments: readonly string[]): Promise<void> {
    let node: PlanNode | undefined = this.#tree.root;
    let gone = false;
    for (let i = 0; i < segments.length; i++) {
      if (node?.opaque) gone = true;
      node = node?.children?.get(segments[i] as string);
      const kind = node?.kind;
      if (kind === "dir") continue;
      if (kind === "fresh-dir" || kind === "deleted") {
        gone = true;
        continue;
      }
      const key = segments.slice(0, i + 1).join("/");
      if (kind === "symlink") throw new InvalidArchive(name, `parent ${key} is a symlink in the archive`);
      if (kind === "file") throw new InvalidArchive(name, `parent ${key} is a file in the archive`);
      if (gone) continue;
      const onDisk = await this.#disk(key);
      if (onDisk === null) gone = true;
      else if (onDisk.kind === "symlink")
        throw new InvalidArchive(name, `would write through the symlink ${key}`);
      else if (onDisk.kind !== "dir") throw new InvalidArchive(name, `parent ${key} is not a directory`);
    }
  }

  /** Whether a directory member at `segments` replaces what is there (rather than merging into a directory). */
  async #replacesOnDisk(segments: readonly string[]): Promise<boolean> {
    const { node, diskVisible } = this.#tree.probe(segments);
    if (node?.kind === "dir") return false;
    if (node?.kind !== undefined) return true;
    if (!diskVisible) return true;
    return (await this.#disk(segments.join("/")))?.kind !== "dir";
  }

  /** The symlink target at `segments` as the tree will be at this point, if a symlink is there. */
  async #symlinkAt(segments: readonly string[]): Promise<string | undefined> {
    const { node, diskVisible } = this.#tree.probe(segments);
    if (node?.kind !== undefined) return node.kind === "symlink" ? node.target : undefined;
    if (!diskVisible) return undefined;
    const onDisk = await this.#disk(segments.join("/"));
    return onDisk?.kind === "symlink" ? onDisk.target : undefined;
  }

  /**
   * Resolves `target` from the directory `from` the way a reader following links would; null when
   * it would leave the destination. Each segment walked costs its depth in steps.
   */
  async #resolve(
    name: string,
    from: readonly string[],
    target: string,
    budget: { follows: number },
  ): Promise<string[] | null> {
    const { maxLinkDepth, maxLinkSteps } = this.options.limits;
    if (target.startsWith("/")) return null;
    let resolved = [...from];
    for (const part of target.split("/")) {
      this.#steps += resolved.length + 1;
      if (this.#steps > maxLinkSteps) {
        throw new ArchiveLimitExceeded(
          name,
          "linkSteps",
          maxLinkSteps,
          "resolving its links takes too many steps",
        );
      }
      if (part === "" || part === ".") continue;
      if (part === "..") {
        if (resolved.length === 0) return null;
        resolved.pop();
        continue;
      }
      resolved.push(part);
      const link = await this.#symlinkAt(resolved);
      if (link === undefined) continue;
      if (++budget.follows > maxLinkDepth) {
        throw new ArchiveLimitExceeded(
          name,
          "linkDepth",
          maxLinkDepth,
          `more than ${maxLinkDepth} symlinks to follow`,
        );
      }
      resolved.pop();
      const next = await this.#resolve(name, resolved, link, budget);
      if (next === null) return null;
      resolved = next;
    }
    return resolved;
  }
}
