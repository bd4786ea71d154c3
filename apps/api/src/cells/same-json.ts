/**
 * Whether two JSON-like values are equal (objects by their defined fields, in any order; arrays in
 * order). Stops at the first difference: a changed report is told from its predecessor at once.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let fields = 0;
  for (const key in x) {
    if (x[key] === undefined) continue;
    if (!sameJson(x[key], y[key])) return false;
    fields++;
  }
  for (const key in y) if (y[key] !== undefined) fields--;
  return fields === 0;
}
