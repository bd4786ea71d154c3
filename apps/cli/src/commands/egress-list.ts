import type { EgressRule } from "@grove/client";
import type { Command } from "commander";
import { action } from "../context";
import { formatPortRange } from "../port-range";

/** `192.0.2.0/24 tcp:443`, `0.0.0.0/0 all`. */
export function egressLine(rule: EgressRule): string {
  const ports = rule.ports ? `:${formatPortRange(rule.ports)}` : "";
  return `${rule.destination} ${rule.protocol}${ports}`;
}

/** Who a rule applies to: `platform`, the tenant, or `tenant/space`. */
function scopeOf(rule: EgressRule): string {
  if (rule.scope === "platform") return rule.control_plane ? "platform (control plane)" : "platform";
  return rule.scope === "space" ? `${rule.tenant}/${rule.space}` : (rule.tenant ?? "");
}

/** `grove egress list`. */
export function registerEgressList(egress: Command): void {
  egress
    .command("list")
    .alias("ls")
    .description("list where the tenant's containers may connect (its rules and the platform default)")
    .action(
      action(async (ctx) => {
        const all = await (await ctx.client()).listEgressRules();
        if (ctx.out.json) ctx.out.record(all);
        else
          ctx.out.table(
            ["APPLIES TO", "DESTINATION", "PROTOCOL", "PORTS", "ID"],
            all.map((r) => [
              scopeOf(r),
              r.destination,
              r.protocol,
              r.ports ? formatPortRange(r.ports) : "all",
              r.id,
            ]),
          );
      }),
    );
}
