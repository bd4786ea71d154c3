/**
 * An API body from a submitted form's numeric fields (quota limits, instances): an empty field is
 * null (for a limit: unlimited), a whole number becomes a number, anything else is sent as typed
 * so the API's own validation refuses it and names the field.
 *
 * @example
 * numberFields({ memory_mb: "2048", apps: "" }, ["memory_mb", "apps"]) // { memory_mb: 2048, apps: null }
 */
export function numberFields(
  form: Record<string, unknown>,
  fields: readonly string[],
): Record<string, number | string | null> {
  const body: Record<string, number | string | null> = {};
  for (const field of fields) {
    const raw = form[field];
    if (typeof raw !== "string") continue;
    const value = raw.trim();
    if (value === "") body[field] = null;
    else if (/^-?\d{1,15}$/.test(value)) body[field] = Number(value);
    else body[field] = value;
  }
  return body;
}
