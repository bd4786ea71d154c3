/** One limit of a quota as the API shows it: null limit = unlimited, null usage = not counted. */
export interface QuotaField {
  limit: number | null;
  usage: number | null;
}

/** A quota as `GET /v1/quota` and the space quota routes show it. */
export type QuotaShown = { tenant: string; space?: string; updated_at: string | null } & {
  [field: string]: QuotaField | string | null | undefined;
};

/** One quota field ready to show: its label, a bar when it has a limit and a usage, and its text. */
export interface QuotaLine {
  /** the API's name, also the form field's */
  field: string;
  label: string;
  /** e.g. "MB"; absent for counts */
  unit?: string;
  limit: number | null;
  usage: number | null;
  /** the bar: usage against limit, capped at the limit; absent when either is unknown */
  bar?: { value: number; max: number };
  /** what a screen reader and a reader without the bar get: values, units and percentage */
  text: string;
  over: boolean;
}

const KNOWN: Record<string, { label: string; unit?: string }> = {
  memory_mb: { label: "Memory", unit: "MB" },
  instance_memory_mb: { label: "Memory per instance", unit: "MB" },
  instances: { label: "Instances" },
  apps: { label: "Apps" },
  disk_mb: { label: "Disk", unit: "MB" },
  routes: { label: "Routes" },
  log_lines_per_second: { label: "Log lines per second per instance" },
  volumes: { label: "Volumes" },
  volume_mb: { label: "Volume storage", unit: "MB" },
};

const number = new Intl.NumberFormat("en");

function amount(value: number, unit: string | undefined): string {
  return unit ? `${number.format(value)} ${unit}` : number.format(value);
}

function isField(value: unknown): value is QuotaField {
  return typeof value === "object" && value !== null && "limit" in value && "usage" in value;
}

/** A field name the console has no label for, as words: `volume_count` → "Volume count". */
function labelOf(field: string): string {
  const words = field.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * The quota's fields in the API's order, each with its bar and text. Fields the console does not
 * know (added to the API later) are shown too, labelled from their names.
 *
 * @example
 * quotaLines({ tenant: "acme", updated_at: null, memory_mb: { limit: 1024, usage: 512 } })[0].text
 * // "512 MB of 1,024 MB (50%)"
 */
export function quotaLines(quota: QuotaShown): QuotaLine[] {
  const lines: QuotaLine[] = [];
  for (const [field, value] of Object.entries(quota)) {
    if (!isField(value)) continue;
    const known = KNOWN[field];
    const unit = known?.unit;
    const { limit, usage } = value;
    const over = limit !== null && usage !== null && usage > limit;
    let text: string;
    if (limit === null && usage === null) text = "no limit";
    else if (limit === null) text = `${amount(usage as number, unit)} used, no limit`;
    else if (usage === null) text = `limit ${amount(limit, unit)} (usage not counted)`;
    else text = `${amount(usage, unit)} of ${amount(limit, unit)} (${percent(usage, limit)})`;
    lines.push({
      field,
      label: known?.label ?? labelOf(field),
      ...(unit ? { unit } : {}),
      limit,
      usage,
      ...(limit !== null && usage !== null ? { bar: { value: Math.min(usage, limit), max: limit } } : {}),
      text: over ? `${text}, over the limit` : text,
      over,
    });
  }
  return lines;
}

function percent(usage: number, limit: number): string {
  if (limit === 0) return usage === 0 ? "0%" : "over";
  return `${Math.round((usage / limit) * 100)}%`;
}
