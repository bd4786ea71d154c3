import type { UpdateApp } from "@grove/client";
import type { Command } from "commander";
import { appRef, withSpaceOption } from "../app-ref";
import { action } from "../context";
import { UsageError } from "../errors";
import { formatMegabytes, parseCount, parseMegabytes } from "../units";

interface ScaleOptions {
  instances?: string;
  memory?: string;
  disk?: string;
  space?: string;
}

/** `grove scale NAME -i N [-m M] [-k D] [--space S]`: changes instance count, memory or disk. */
export function registerScale(program: Command): void {
  withSpaceOption(program.command("scale"))
    .description("change an app's instance count (and memory or disk: a new revision)")
    .argument("<name>", "app name")
    .option("-i, --instances <n>", "number of instances")
    .option("-m, --memory <size>", "memory per instance, e.g. 256M or 1G")
    .option("-k, --disk <size>", "disk per instance, e.g. 1G")
    .action(
      action(async (ctx, name: string, options: ScaleOptions) => {
        const changes: UpdateApp = {};
        if (options.instances !== undefined) changes.instances = parseCount(options.instances, "instances");
        if (options.memory !== undefined) changes.memory_mb = parseMegabytes(options.memory, "memory");
        if (options.disk !== undefined) changes.disk_mb = parseMegabytes(options.disk, "disk");
        if (Object.keys(changes).length === 0) throw new UsageError("scale needs -i, -m or -k");
        const app = await (await ctx.client()).updateApp(appRef(name, options.space), changes);
        if (ctx.out.json) ctx.out.record(app);
        else {
          ctx.out.line(
            `scaled ${app.name}: ${app.instances} instances, ${formatMegabytes(app.memory_mb)} memory, ` +
              `${formatMegabytes(app.disk_mb)} disk (revision ${app.revision})`,
          );
        }
      }),
    );
}
