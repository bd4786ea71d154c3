import type { Command } from "commander";
import { action } from "../context";

/** `grove volumes delete NAME`: the volume and its data. */
export function registerVolumesDelete(volumes: Command): void {
  volumes
    .command("delete")
    .description("delete a volume and its data")
    .argument("<name>", "volume name")
    .action(
      action(async (ctx, name: string) => {
        await (await ctx.client()).deleteVolume(name);
        if (ctx.out.json) ctx.out.record({ name, deleted: true });
        else ctx.out.line(`deleted volume ${name}`);
      }),
    );
}
