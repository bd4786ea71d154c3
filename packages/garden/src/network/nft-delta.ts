/**
 * The change from one nft script of renderRuleset's shape to another as one transaction of
 * incremental commands (add/delete elements, flush and refill changed chains, add and delete
 * objects), so a new container or a policy change costs the kernel and libnftables what changed
 * rather than rebuilding both tables. Like the whole script, it is applied in one transaction: no
 * packet sees half of it.
 */

interface NftObject {
  kind: "set" | "map" | "chain";
  /** declaration statements: `type …;`, `flags …;`, a base chain's `type … hook …; policy …;` */
  head: string[];
  /** a chain's rules */
  rules: string[];
  /** a set's or map's elements: key → the whole element text (a map's `key : value`) */
  elements: Map<string, string>;
}

export interface NftTable {
  /** "ip gexp" */
  name: string;
  objects: Map<string, NftObject>;
}

/**
 * Reads a script as renderRuleset writes it: the create-then-delete prelude of each table, then
 * `table <family> <name> {` with sets, maps and chains two spaces in, their statements four spaces
 * in, and named sets' elements on one `elements = { … }` line. Undefined for anything else.
 */
export function parseRuleset(script: string): NftTable[] | undefined {
  const tables: NftTable[] = [];
  let table: NftTable | undefined;
  let object: NftObject | undefined;
  for (const line of script.split("\n")) {
    if (line === "") continue;
    if (table === undefined) {
      if (/^table \S+ \S+ \{\}$/.test(line) || /^delete table \S+ \S+$/.test(line)) continue;
      const open = /^table (\S+ \S+) \{$/.exec(line);
      if (!open?.[1]) return undefined;
      table = { name: open[1], objects: new Map() };
      tables.push(table);
      continue;
    }
    if (object === undefined) {
      if (line === "}") {
        table = undefined;
        continue;
      }
      const open = /^ {2}(set|map|chain) (\S+) \{$/.exec(line);
      if (!open?.[1] || !open[2] || table.objects.has(open[2])) return undefined;
      object = { kind: open[1] as NftObject["kind"], head: [], rules: [], elements: new Map() };
      table.objects.set(open[2], object);
      continue;
    }
    if (line === "  }") {
      object = undefined;
      continue;
    }
    if (!line.startsWith("    ")) return undefined;
    const statement = line.slice(4);
    if (object.kind === "chain") {
      if (/^type \S+ hook /.test(statement)) object.head.push(statement);
      else object.rules.push(statement);
      continue;
    }
    const elements = /^elements = \{ (.*) \}$/.exec(statement);
    if (!elements) {
      object.head.push(statement);
      continue;
    }
    for (const element of (elements[1] ?? "").split(", ")) {
      const key = object.kind === "map" ? element.split(" : ")[0] : element;
      if (key === undefined || key === "") return undefined;
      object.elements.set(key, element);
    }
  }
  return table === undefined && object === undefined ? tables : undefined;
}

/**
 * One transaction taking the kernel from `from` (applied last) to `to`: undefined when it cannot be
 * said incrementally (the tables differ, a declaration changed, a script of another shape), and the
 * whole script must be applied instead; "" when nothing changed.
 */
export function nftDelta(from: string | NftTable[], to: string | NftTable[]): string | undefined {
  const before = typeof from === "string" ? parseRuleset(from) : from;
  const after = typeof to === "string" ? parseRuleset(to) : to;
  if (!before || !after || before.length !== after.length) return undefined;
  const declare: string[] = [];
  const flush: string[] = [];
  const removeElements: string[] = [];
  const addElements: string[] = [];
  const fill: string[] = [];
  const remove: string[] = [];
  for (const [i, next] of after.entries()) {
    const old = before[i];
    if (old?.name !== next.name) return undefined;
    const t = next.name;
    for (const [name, o] of next.objects) {
      const was = old.objects.get(name);
      if (was && (was.kind !== o.kind || was.head.join("\n") !== o.head.join("\n"))) return undefined;
      if (!was) {
        const head = o.head.length > 0 ? ` { ${o.head.join(" ")} }` : "";
        declare.push(`add ${o.kind} ${t} ${name}${head}`);
      }
      if (o.kind === "chain") {
        if (was && was.rules.join("\n") === o.rules.join("\n")) continue;
        if (was) flush.push(`flush chain ${t} ${name}`);
        fill.push(...o.rules.map((rule) => `add rule ${t} ${name} ${rule}`));
        continue;
      }
      const gone: string[] = [];
      const added: string[] = [];
      for (const [key, element] of was?.elements ?? []) {
        const now = o.elements.get(key);
        if (now !== element) gone.push(key);
      }
      for (const [key, element] of o.elements) {
        if (was?.elements.get(key) !== element) added.push(element);
      }
      if (gone.length > 0) removeElements.push(`delete element ${t} ${name} { ${gone.join(", ")} }`);
      if (added.length > 0) addElements.push(`add element ${t} ${name} { ${added.join(", ")} }`);
    }
    for (const [name, o] of old.objects) {
      if (next.objects.has(name)) continue;
      // a chain's rules go first: they may name sets and chains deleted with it
      if (o.kind === "chain") {
        flush.push(`flush chain ${t} ${name}`);
        remove.push(`delete chain ${t} ${name}`);
      } else {
        remove.unshift(`delete ${o.kind} ${t} ${name}`);
      }
    }
  }
  // new objects exist before anything names them; what goes is no longer named when it is deleted
  const lines = [...declare, ...flush, ...removeElements, ...addElements, ...fill, ...remove];
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
