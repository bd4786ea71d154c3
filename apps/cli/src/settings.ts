import { GroveClient, nodeHttpTransport } from "@grove/client";
import { readConfig, type StoredConfig } from "./config-file";
import { NotLoggedIn, UsageError } from "./errors";
import { tlsOptions } from "./extra-ca";

/** Where the single-node mode's api listens (`npm start`). */
export const DEFAULT_API = "http://127.0.0.1:7070";

/** The flags every command accepts. */
export interface GlobalFlags {
  api?: string;
  token?: string;
  tenant?: string;
  json?: boolean;
}

/** Where a setting came from. */
export type Source = "flag" | "env" | "file" | "default";

/** The effective connection settings, each with its source. */
export interface Settings {
  api: { value: string; source: Source };
  token: { value: string; source: Source } | undefined;
  tenant: { value: string; source: Source } | undefined;
  file: StoredConfig;
}

function pick(flag: string | undefined, env: string | undefined, file: string | undefined) {
  if (flag) return { value: flag, source: "flag" as const };
  if (env) return { value: env, source: "env" as const };
  if (file) return { value: file, source: "file" as const };
  return undefined;
}

/**
 * Resolves api, token and tenant: flag > environment (`GROVE_API`, `GROVE_TOKEN`,
 * `GROVE_TENANT`) > config file > default.
 */
export async function resolveSettings(
  flags: GlobalFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Settings> {
  const file = await readConfig();
  const api = pick(flags.api, env.GROVE_API, file.api) ?? { value: DEFAULT_API, source: "default" as const };
  checkUrl(api.value);
  return {
    api,
    token: pick(flags.token, env.GROVE_TOKEN, file.token),
    tenant: pick(flags.tenant, env.GROVE_TENANT, file.tenant),
    file,
  };
}

/** Throws `UsageError` unless `url` is an http(s) URL. */
export function checkUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) {
    throw new UsageError(`invalid API URL "${url}": use http://HOST:PORT`);
  }
}

/** How the CLI sends requests: node:http(s), with the extra CA certificates Node did not load. */
export const cliTransport = nodeHttpTransport(tlsOptions);

/** A client with the resolved settings; throws `NotLoggedIn` when there is no token. */
export function clientFor(settings: Settings, options: { needsToken?: boolean } = {}): GroveClient {
  if (!settings.token && options.needsToken !== false) throw new NotLoggedIn();
  return new GroveClient({
    baseUrl: settings.api.value,
    token: settings.token?.value,
    tenant: settings.tenant?.value,
    userAgent: "grove-cli",
    transport: cliTransport,
  });
}
