import type { Policy } from "@grove/client";
import type { Command } from "commander";
import { action } from "../context";
import { formatPortRange } from "../port-range";

/** `web → api tcp:8080`, with tenants where the two differ. */
export function policyLine(p: Policy): string {
  const cross = p.source.tenant !== p.destination.tenant;
  const name = (end: Policy["source"]) => (cross ? `${end.tenant}/${end.app}` : end.app);
  return `${name(p.source)} → ${name(p.destination)} ${p.protocol}:${formatPortRange(p.ports)}`;
}

/** `grove policies list`. */
export function registerPoliciesList(policies: Command): void {
  policies
    .command("list")
    .alias("ls")
    .description("list the tenant's network policies (and those reaching its apps)")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listPolicies();
        if (ctx.out.json) ctx.out.record(all);
        else
          ctx.out.table(
            ["SOURCE", "DESTINATION", "PROTOCOL", "PORTS", "ID"],
            all.map((p) => [
              `${p.source.tenant}/${p.source.app}`,
              `${p.destination.tenant}/${p.destination.app}`,
              p.protocol,
              formatPortRange(p.ports),
              p.id,
            ]),
          );
      }),
    );
}
