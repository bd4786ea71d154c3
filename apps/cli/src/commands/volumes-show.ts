import type { Volume } from "@grove/client";
import type { Command } from "commander";
import { action, type Context } from "../context";
import { formatMegabytes } from "../units";

/** Prints one volume: a record under --json, else `key: value` lines. */
export function printVolume(ctx: Context, volume: Volume): void {
  if (ctx.out.json) {
    ctx.out.record(volume);
    return;
  }
  const lines: [string, string][] = [
    ["name", volume.name],
    ["space", volume.space],
    ["size", formatMegabytes(volume.size_mb)],
    ["shared", volume.shared ? "yes (instances on its cell)" : "no (one instance at a time)"],
    ["cell", volume.cell ?? "none yet (made where its first instance lands)"],
    ["created", volume.created_at],
  ];
  for (const [key, value] of lines) ctx.out.line(`${`${key}:`.padEnd(9)} ${value}`);
}

/** `grove volumes show NAME`. */
export function registerVolumesShow(volumes: Command): void {
  volumes
    .command("show")
    .description("show a volume: size, sharing and the cell its data lives on")
    .argument("<name>", "volume name")
    .action(
      action(async (ctx, name: string) => {
        printVolume(ctx, await (await ctx.client()).getVolume(name));
      }),
    );
}
