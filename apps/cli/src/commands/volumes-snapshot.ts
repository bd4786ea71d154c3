import type { Command } from "commander";
import { action } from "../context";
import { printSnapshot } from "./volumes-snapshots";

/**
 * `grove volumes snapshot NAME [--name SNAP]`: a point-in-time copy of the volume's files in the
 * cluster's object store (the volume's filesystem is frozen while it is read: writes wait).
 */
export function registerVolumesSnapshot(volumes: Command): void {
  volumes
    .command("snapshot")
    .description("store a point-in-time copy of a volume's files in the cluster (restorable on any cell)")
    .argument("<name>", "volume name")
    .option("--name <snapshot>", "the snapshot's name (default: the time, e.g. 2026-12-06t11-59-42z)")
    .action(
      action(async (ctx, volume: string, options: { name?: string }) => {
        if (!ctx.out.json) ctx.out.note(`copying volume ${volume} (writes to it wait while it is read)…`);
        const snapshot = await (await ctx.client()).createSnapshot(
          volume,
          options.name ? { name: options.name } : {},
        );
        printSnapshot(ctx, snapshot);
      }),
    );
}
