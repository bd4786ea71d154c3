import type { Command } from "commander";
import { action } from "../context";
import { CliError, UsageError } from "../errors";
import { formatPortRange, parsePortRange } from "../port-range";
import { policyLine } from "./policies-list";

/** `grove policies remove ID` or `grove policies remove SRC DST [--port P] [--protocol X]`. */
export function registerPoliciesRemove(policies: Command): void {
  policies
    .command("remove")
    .alias("rm")
    .description("remove a network policy, by id or by its apps (and port, protocol)")
    .argument("<id-or-source>", "policy id, or the source app")
    .argument("[destination]", "the destination app")
    .option("--port <port>", "port or range of the policy to remove")
    .option("--protocol <protocol>", "tcp or udp")
    .action(
      action(
        async (
          ctx,
          first: string,
          destination: string | undefined,
          options: { port?: string; protocol?: string },
        ) => {
          const client = await ctx.client();
          let id = first;
          if (destination !== undefined) {
            const want = options.port === undefined ? undefined : parsePortRange(options.port);
            const matches = (await client.listPolicies()).filter(
              (p) =>
                p.source.app === first &&
                p.destination.app === destination &&
                (options.protocol === undefined || p.protocol === options.protocol) &&
                (want === undefined ||
                  formatPortRange(p.ports) ===
                    formatPortRange({ start: want.port, end: want.end_port ?? want.port })),
            );
            if (matches.length === 0) throw new CliError(`no policy from ${first} to ${destination} matches`);
            if (matches.length > 1) {
              throw new UsageError(
                `${matches.length} policies from ${first} to ${destination}: name one with --port/--protocol or by id`,
              );
            }
            id = (matches[0] as { id: string }).id;
          } else if (options.port !== undefined || options.protocol !== undefined) {
            throw new UsageError("--port and --protocol need the source and destination apps");
          }
          const policy =
            destination === undefined ? undefined : (await client.listPolicies()).find((p) => p.id === id);
          await client.deletePolicy(id);
          if (ctx.out.json) ctx.out.record({ id, removed: true });
          else ctx.out.line(`removed ${policy ? policyLine(policy) : "policy"} (${id})`);
        },
      ),
    );
}
