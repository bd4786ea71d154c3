/** True for Postgres' unique_violation (23505), also when wrapped by drizzle. */
export function isUniqueViolation(error: unknown): boolean {
  return codeOf(error) === "23505";
}

/** True for Postgres' foreign_key_violation (23503), also when wrapped by drizzle. */
export function isForeignKeyViolation(error: unknown): boolean {
  return codeOf(error) === "23503";
}

function codeOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 3 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
