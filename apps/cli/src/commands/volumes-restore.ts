import type { Command } from "commander";
import { action } from "../context";
import { printVolume } from "./volumes-show";

/**
 * `grove volumes restore NAME SNAPSHOT`: the volume's data becomes the snapshot's, copied onto the
 * cell its next instance lands on. Refused while an instance holds the volume.
 */
export function registerVolumesRestore(volumes: Command): void {
  volumes
    .command("restore")
    .description("make a volume's data that of one of its snapshots (stop or scale its apps to 0 first)")
    .argument("<name>", "volume name")
    .argument("<snapshot>", "snapshot name")
    .action(
      action(async (ctx, name: string, snapshot: string) => {
        const volume = await (await ctx.client()).restoreVolume(name, snapshot);
        if (!ctx.out.json)
          ctx.out.note(`volume ${name} is restored from ${snapshot} when its next instance starts`);
        printVolume(ctx, volume);
      }),
    );
}
