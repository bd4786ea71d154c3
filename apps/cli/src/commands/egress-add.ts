import type { Command } from "commander";
import { action } from "../context";
import { UsageError } from "../errors";
import { parsePortRange } from "../port-range";
import { egressLine } from "./egress-list";

const PROTOCOLS = ["tcp", "udp", "icmp", "all"] as const;

/** `grove egress add NETWORK [--protocol P] [--port P[-Q]] [--space S] [--platform [--control-plane]]`. */
export function registerEgressAdd(egress: Command): void {
  egress
    .command("add")
    .description(
      "let the tenant's containers (or one space's, or with --platform everyone's) connect to NETWORK",
    )
    .argument("<network>", "IPv4 network a.b.c.d/n, or one address")
    .option("--protocol <protocol>", "tcp, udp, icmp or all", "tcp")
    .option("--port <port>", "tcp/udp port or range, e.g. 443 or 8000-8100 (default: every port)")
    .option("--space <space>", "only this space's apps")
    .option("--platform", "the platform default, for every tenant (operators)")
    .option("--control-plane", "with --platform: let containers reach the api, NATS or Postgres there")
    .action(
      action(
        async (
          ctx,
          network: string,
          options: {
            protocol: string;
            port?: string;
            space?: string;
            platform?: boolean;
            controlPlane?: boolean;
          },
        ) => {
          const protocol = PROTOCOLS.find((p) => p === options.protocol);
          if (protocol === undefined) {
            throw new UsageError(
              `--protocol ${JSON.stringify(options.protocol)}: want tcp, udp, icmp or all`,
            );
          }
          if (options.port !== undefined && protocol !== "tcp" && protocol !== "udp") {
            throw new UsageError(`--port needs --protocol tcp or udp, not ${protocol}`);
          }
          if (options.controlPlane && !options.platform)
            throw new UsageError("--control-plane needs --platform");
          const rule = await (await ctx.client()).createEgressRule({
            destination: network,
            protocol,
            ...(options.port !== undefined ? parsePortRange(options.port) : {}),
            ...(options.space !== undefined ? { space: options.space } : {}),
            platform: options.platform === true,
            control_plane: options.controlPlane === true,
          });
          if (ctx.out.json) ctx.out.record(rule);
          else
            ctx.out.line(
              `allowed ${rule.scope === "platform" ? "every container" : "containers"} → ${egressLine(rule)} (${rule.id})`,
            );
        },
      ),
    );
}
