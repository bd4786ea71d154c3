import { chmod, mkdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import envPaths from "env-paths";
import { CliError } from "./errors";

/** What `grove login` and `grove target` remember. */
export interface StoredConfig {
  api?: string;
  token?: string;
  tenant?: string;
}

/** `$XDG_CONFIG_HOME/grove/config.json` (default `~/.config/grove/config.json`). */
export function configPath(): string {
  return join(envPaths("grove", { suffix: "" }).config, "config.json");
}

/** The stored config, or `{}` when there is none yet. */
export async function readConfig(path = configPath()): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not valid JSON: fix it or run grove login again`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${path} is not a JSON object: fix it or run grove login again`);
  }
  const config: StoredConfig = {};
  for (const key of ["api", "token", "tenant"] as const) {
    const value = (parsed as Record<string, unknown>)[key];
    if (typeof value === "string" && value !== "") config[key] = value;
  }
  return config;
}

/**
 * Replaces the stored config atomically; the file is mode 0600 (it holds a token) in a 0700
 * directory, whatever the umask.
 */
export async function writeConfig(config: StoredConfig, path = configPath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // imported here: it loads node:crypto and worker_threads, which only writing needs
  const { default: writeFileAtomic } = await import("write-file-atomic");
  await writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}
