import type { Quota } from "@grove/client";
import type { Command } from "commander";
import { action, type Context } from "../context";
import { formatMegabytes } from "../units";

type Row = { label: string; of: (q: Quota) => { limit: number | null; usage: number | null }; size: boolean };

const ROWS: Row[] = [
  { label: "memory", of: (q) => q.memory_mb, size: true },
  { label: "memory per instance", of: (q) => q.instance_memory_mb, size: true },
  { label: "instances", of: (q) => q.instances, size: false },
  { label: "apps", of: (q) => q.apps, size: false },
  { label: "disk", of: (q) => q.disk_mb, size: true },
  { label: "routes", of: (q) => q.routes, size: false },
  { label: "log lines/s per instance", of: (q) => q.log_lines_per_second, size: false },
  { label: "volumes", of: (q) => q.volumes, size: false },
  { label: "volume storage", of: (q) => q.volume_mb, size: true },
];

/** A tenant's quota as a table: each limit beside its usage. */
export function printQuota(ctx: Context, quota: Quota): void {
  if (ctx.out.json) {
    ctx.out.record(quota);
    return;
  }
  const show = (value: number | null, size: boolean, none: string) =>
    value === null ? none : size && value > 0 ? formatMegabytes(value) : String(value);
  ctx.out.table(
    ["QUOTA", "USED", "LIMIT"],
    ROWS.map(({ label, of, size }) => {
      const { limit, usage } = of(quota);
      return [label, show(usage, size, "-"), show(limit, size, "unlimited")];
    }),
  );
}

/** `grove quota [--space S]`: the tenant's (or a space's) quota, each limit beside its usage. */
export function registerQuota(program: Command): Command {
  return program
    .command("quota")
    .description("show the tenant's (or a space's) quota beside its usage; change it with grove quota set")
    .option("--space <space>", "a space's quota instead of the tenant's")
    .action(
      action(async (ctx, options: { space?: string }) => {
        const client = await ctx.client();
        printQuota(ctx, options.space ? await client.getSpaceQuota(options.space) : await client.getQuota());
      }),
    );
}
