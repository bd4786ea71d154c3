import type { Command } from "commander";
import { action } from "../context";
import { parseMegabytes } from "../units";
import { printVolume } from "./volumes-show";

/**
 * `grove volumes create NAME --size 1G [--shared] [--space S]`: made on a cell when an instance
 * first mounts it; only apps of its space may mount it.
 */
export function registerVolumesCreate(volumes: Command): void {
  volumes
    .command("create")
    .description("create a volume of the tenant, sized by the kernel (made on a cell at first mount)")
    .argument("<name>", "volume name (a DNS label)")
    .requiredOption("--size <size>", "size, e.g. 512M or 1G")
    .option("--shared", "several instances on its cell may mount it (default: one at a time)")
    .option("--space <space>", "the space whose apps may mount it (default: default)")
    .action(
      action(async (ctx, name: string, options: { size: string; shared?: boolean; space?: string }) => {
        const size = parseMegabytes(options.size, "--size");
        const volume = await (await ctx.client()).createVolume({
          name,
          size_mb: size,
          shared: options.shared ?? false,
          ...(options.space ? { space: options.space } : {}),
        });
        if (!ctx.out.json) ctx.out.note(`volume ${volume.name} created`);
        printVolume(ctx, volume);
      }),
    );
}
