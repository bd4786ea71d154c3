import { ApiError, GroveClient } from "@grove/client";
import type { Command } from "commander";
import { configPath, writeConfig } from "../config-file";
import { action } from "../context";
import { CliError } from "../errors";
import { readSecret } from "../prompt";
import { cliTransport } from "../settings";

/**
 * `grove login [--api URL] [--token T] [--tenant T]`: checks the token against the API and
 * stores api, token and tenant in the config file (mode 0600).
 */
export function registerLogin(program: Command): void {
  program
    .command("login")
    .description("check an API token and store it (with --api, --tenant) in $XDG_CONFIG_HOME/grove")
    .action(
      action(async (ctx) => {
        const settings = await ctx.settings();
        const api = settings.api.value;
        const token = settings.token?.value ?? (await readSecret("API token: "));
        if (!token) throw new CliError("no token: pass --token, set GROVE_TOKEN or pipe it on stdin");
        const tenant = ctx.flags.tenant ?? process.env.GROVE_TENANT;
        const client = new GroveClient({
          baseUrl: api,
          token,
          tenant,
          userAgent: "grove-cli",
          transport: cliTransport,
        });
        const role = await roleOf(client, api);
        if (tenant) await client.getTenant(tenant);
        await writeConfig({ api, token, ...(tenant ? { tenant } : {}) });
        if (ctx.out.json) ctx.out.record({ api, role, tenant: tenant ?? null, config: configPath() });
        else ctx.out.line(`logged in to ${api} as ${role}${tenant ? `, tenant ${tenant}` : ""}`);
      }),
    );
}

/**
 * Whether the API accepts the token, and as what. Listing tenants is an operator's right; a
 * tenant member's valid token gets 403 there, an unknown token 401.
 */
async function roleOf(client: GroveClient, api: string): Promise<"operator" | "tenant member"> {
  try {
    await client.listTenants();
    return "operator";
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return "tenant member";
    if (error instanceof ApiError && error.status === 401) {
      throw new CliError(`the API at ${api} rejected the token (${error.detail})`);
    }
    throw error;
  }
}
