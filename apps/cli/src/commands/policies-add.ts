import type { Command } from "commander";
import { action } from "../context";
import { UsageError } from "../errors";
import { parsePortRange } from "../port-range";
import { policyLine } from "./policies-list";

/**
 * `grove policies add SRC DST --port P[-Q] [--protocol tcp|udp] [--space S] [--destination-space S]
 * [--destination-tenant T]`.
 */
export function registerPoliciesAdd(policies: Command): void {
  policies
    .command("add")
    .description("let instances of SRC connect to a port (range) of DST's instances")
    .argument("<source>", "app that connects")
    .argument("<destination>", "app that accepts")
    .requiredOption("--port <port>", "port or range, e.g. 8080 or 8080-8090")
    .option("--protocol <protocol>", "tcp or udp", "tcp")
    .option("--space <space>", "the source app's space")
    .option("--destination-space <space>", "the destination app's space")
    .option("--destination-tenant <tenant>", "the destination's tenant, if another (operators)")
    .action(
      action(
        async (
          ctx,
          source: string,
          destination: string,
          options: {
            port: string;
            protocol: string;
            space?: string;
            destinationSpace?: string;
            destinationTenant?: string;
          },
        ) => {
          if (options.protocol !== "tcp" && options.protocol !== "udp") {
            throw new UsageError(`--protocol ${JSON.stringify(options.protocol)}: want tcp or udp`);
          }
          const policy = await (await ctx.client()).createPolicy({
            source,
            destination,
            protocol: options.protocol,
            ...parsePortRange(options.port),
            ...(options.space ? { source_space: options.space } : {}),
            ...(options.destinationSpace ? { destination_space: options.destinationSpace } : {}),
            ...(options.destinationTenant ? { destination_tenant: options.destinationTenant } : {}),
          });
          if (ctx.out.json) ctx.out.record(policy);
          else ctx.out.line(`allowed ${policyLine(policy)} (${policy.id})`);
        },
      ),
    );
}
