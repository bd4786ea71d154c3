import type { Command } from "commander";
import { configPath, writeConfig } from "../config-file";
import { action } from "../context";

/** `grove target [TENANT]`: shows, or sets, the API and tenant commands act on. */
export function registerTarget(program: Command): void {
  program
    .command("target")
    .description("show the API and tenant in use, or set the tenant (operators act in one tenant)")
    .argument("[tenant]", "tenant to act in from now on")
    .action(
      action(async (ctx, tenant: string | undefined) => {
        const settings = await ctx.settings();
        if (tenant !== undefined) {
          await (await ctx.client()).getTenant(tenant);
          await writeConfig({ ...settings.file, tenant });
        }
        const current = {
          api: settings.api.value,
          tenant: tenant ?? settings.tenant?.value ?? null,
          logged_in: settings.token !== undefined,
          config: configPath(),
        };
        if (ctx.out.json) {
          ctx.out.record(current);
          return;
        }
        ctx.out.line(`API:    ${current.api}`);
        ctx.out.line(`tenant: ${current.tenant ?? "(the token's own)"}`);
        if (!current.logged_in) ctx.out.note("not logged in: run grove login");
      }),
    );
}
