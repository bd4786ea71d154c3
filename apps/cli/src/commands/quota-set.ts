import type { QuotaChanges } from "@grove/client";
import type { Command } from "commander";
import { action } from "../context";
import { UsageError } from "../errors";
import { parseCount, parseMegabytes } from "../units";
import { printQuota } from "./quota";

const FLAGS = [
  { flag: "--memory <size>", key: "memory", field: "memory_mb", size: true, help: "total memory, e.g. 16G" },
  {
    flag: "--instance-memory <size>",
    key: "instanceMemory",
    field: "instance_memory_mb",
    size: true,
    help: "memory per instance, e.g. 1G",
  },
  {
    flag: "--instances <n>",
    key: "instances",
    field: "instances",
    size: false,
    help: "instances of started apps",
  },
  { flag: "--apps <n>", key: "apps", field: "apps", size: false, help: "apps, started or stopped" },
  { flag: "--disk <size>", key: "disk", field: "disk_mb", size: true, help: "total disk, e.g. 100G" },
  {
    flag: "--routes <n>",
    key: "routes",
    field: "routes",
    size: false,
    help: "routes (each app has its default route)",
  },
  {
    flag: "--log-rate <n>",
    key: "logRate",
    field: "log_lines_per_second",
    size: false,
    help: "log lines per second per instance (excess dropped; applies to instances started after)",
  },
  { flag: "--volumes <n>", key: "volumes", field: "volumes", size: false, help: "volumes, mounted or not" },
  {
    flag: "--volume-storage <size>",
    key: "volumeStorage",
    field: "volume_mb",
    size: true,
    help: "total size of the volumes, e.g. 50G",
  },
] as const;

/** Parses a limit flag: `unlimited` is null, `0` is zero, else a size or a count. */
function parseLimit(text: string, what: string, size: boolean): number | null {
  if (text.trim().toLowerCase() === "unlimited") return null;
  if (text.trim() === "0") return 0;
  return size ? parseMegabytes(text, what) : parseCount(text, what);
}

/**
 * `grove quota set TENANT --memory 16G …` (operators) or `grove quota set --space S …` (tenant
 * admins): `unlimited` lifts a limit.
 */
export function registerQuotaSet(quota: Command): void {
  const command = quota
    .command("set")
    .description(
      "change a tenant's quota (operators) or a space's (--space, tenant admins); 'unlimited' lifts a limit",
    )
    .argument("[tenant]", "tenant name (operators)")
    .option("--space <space>", "change this space's quota instead of a tenant's");
  for (const { flag, help } of FLAGS) command.option(flag, `${help}, or unlimited`);
  command.action(
    action(async (ctx, tenant: string | undefined, options: Record<string, string | undefined>) => {
      const changes: Record<string, number | null> = {};
      for (const { flag, key, field, size } of FLAGS) {
        const value = options[key];
        if (value !== undefined) changes[field] = parseLimit(value, flag.split(" ")[0] as string, size);
      }
      if (Object.keys(changes).length === 0)
        throw new UsageError(
          "quota set needs at least one limit, e.g. --memory 16G (see grove quota set --help)",
        );
      // `grove quota` has a --space of its own, which commander gives the parent
      const space = options.space ?? (ctx.flags as { space?: string }).space;
      if ((tenant === undefined) === (space === undefined))
        throw new UsageError("quota set needs a tenant (operators) or --space SPACE, not both");
      const client = await ctx.client();
      const updated = space
        ? await client.setSpaceQuota(space, changes as QuotaChanges)
        : await client.setTenantQuota(tenant as string, changes as QuotaChanges);
      if (!ctx.out.json) ctx.out.note(`quota of ${space ? `space ${space}` : updated.tenant} changed`);
      printQuota(ctx, updated);
    }),
  );
}
