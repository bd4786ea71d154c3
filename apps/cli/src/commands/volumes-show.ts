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
    [
      "cell",
      volume.cell ??
        (volume.state === "ready"
          ? "none yet (made where its first instance lands)"
          : "none (its data is on its way)"),
    ],
    ["state", stateOf(volume)],
    ["created", volume.created_at],
  ];
  if (volume.reason) lines.push(["problem", volume.reason]);
  for (const [key, value] of lines) ctx.out.line(`${`${key}:`.padEnd(9)} ${value}`);
}

/** A volume's state as people read it: what moving and restoring mean for its instances. */
function stateOf(volume: Volume): string {
  if (volume.state === "moving")
    return volume.cell === null
      ? "moving (copied off its cell; its instance starts on another cell once the data is there)"
      : `moving (its cell ${volume.cell} is draining: its instances stop, the data is copied to another cell)`;
  if (volume.state === "restoring")
    return "restoring (a snapshot is copied onto the cell its next instance lands on)";
  return "ready";
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
