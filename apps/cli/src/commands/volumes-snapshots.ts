import type { VolumeSnapshot } from "@grove/client";
import type { Command } from "commander";
import { action, type Context } from "../context";
import { formatMegabytes } from "../units";

/** Prints one snapshot: a record under --json, else `key: value` lines. */
export function printSnapshot(ctx: Context, snapshot: VolumeSnapshot): void {
  if (ctx.out.json) {
    ctx.out.record(snapshot);
    return;
  }
  const lines: [string, string][] = [
    ["name", snapshot.name],
    ["volume", snapshot.volume],
    ["stored", formatBytes(snapshot.bytes)],
    ["counts", `${formatMegabytes(snapshot.size_mb)} against volume storage`],
    ["created", snapshot.created_at],
  ];
  for (const [key, value] of lines) ctx.out.line(`${`${key}:`.padEnd(9)} ${value}`);
}

/** `grove volumes snapshots NAME`: a volume's snapshots; `grove volumes snapshots NAME --delete SNAP`. */
export function registerVolumesSnapshots(volumes: Command): void {
  volumes
    .command("snapshots")
    .description("list a volume's snapshots (or delete one with --delete)")
    .argument("<name>", "volume name")
    .option("--delete <snapshot>", "delete this snapshot")
    .action(
      action(async (ctx, volume: string, options: { delete?: string }) => {
        const client = await ctx.client();
        if (options.delete) {
          await client.deleteSnapshot(volume, options.delete);
          if (ctx.out.json) ctx.out.record({ volume, name: options.delete, deleted: true });
          else ctx.out.line(`deleted snapshot ${options.delete} of volume ${volume}`);
          return;
        }
        const all = await client.listSnapshots(volume);
        if (ctx.out.json) {
          ctx.out.record(all);
          return;
        }
        if (all.length === 0) {
          ctx.out.note(`no snapshots of ${volume} yet: grove volumes snapshot ${volume}`);
          return;
        }
        ctx.out.table(
          ["NAME", "STORED", "CREATED"],
          all.map((snapshot) => [snapshot.name, formatBytes(snapshot.bytes), snapshot.created_at]),
        );
      }),
    );
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)}K`;
  return formatMegabytes(Math.ceil(bytes / (1024 * 1024)));
}
