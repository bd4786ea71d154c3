import type { Command } from "commander";
import { action } from "../context";

/** `grove tenants create NAME` (operators). */
export function registerTenantsCreate(tenants: Command): void {
  tenants
    .command("create")
    .description("create a tenant (operators)")
    .argument("<name>", "tenant name (a DNS label)")
    .action(
      action(async (ctx, name: string) => {
        const tenant = await (await ctx.client()).createTenant(name);
        if (ctx.out.json) ctx.out.record(tenant);
        else ctx.out.line(`created tenant ${tenant.name}`);
      }),
    );
}
