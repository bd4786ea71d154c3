import type { CreateToken } from "@grove/client";
import type { Command } from "commander";
import { action } from "../context";
import { UsageError } from "../errors";
import { parseDuration } from "../units";

const roles = ["operator", "tenant_admin", "developer"] as const;

/**
 * `grove tokens create [--role R] [--tenant T] [--name N] [--expires-in 30d]`: issues an API token,
 * printed once.
 * Tenant roles default to the targeted tenant.
 */
export function registerTokensCreate(tokens: Command): void {
  tokens
    .command("create")
    .description("issue an API token (shown once)")
    .option("--role <role>", `one of ${roles.join(", ")}`, "developer")
    .option("--name <name>", "what the token is for", "")
    .option("--expires-in <duration>", "stop working after this long, e.g. 12h, 30d (default: never)")
    .action(
      action(async (ctx, options: { role: string; name: string; expiresIn?: string }) => {
        const role = roles.find((r) => r === options.role);
        if (!role) throw new UsageError(`invalid role "${options.role}": use ${roles.join(", ")}`);
        const body: CreateToken = { role, name: options.name };
        if (options.expiresIn !== undefined)
          body.expires_in_seconds = parseDuration(options.expiresIn, "expires-in");
        if (role !== "operator") {
          const tenant = (await ctx.settings()).tenant?.value;
          if (!tenant) throw new UsageError(`a ${role} token needs --tenant (or grove target TENANT)`);
          body.tenant = tenant;
        }
        const token = await (await ctx.client()).createToken(body);
        if (ctx.out.json) ctx.out.record(token);
        else {
          ctx.out.line(token.token);
          ctx.out.note(
            `${token.role} token${token.tenant ? ` in ${token.tenant}` : ""}` +
              `${token.expires_at ? `, expires ${token.expires_at}` : ""}; shown once, keep it safe`,
          );
        }
      }),
    );
}
