import { writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Writes `dir/resolv.conf` naming `servers` (a container's, bind-mounted at /etc/resolv.conf) and
 * answers its path; with no servers nothing is written and the image's own file stays.
 */
export async function writeResolvConf(dir: string, servers: readonly string[]): Promise<string | undefined> {
  if (servers.length === 0) return undefined;
  const path = join(dir, "resolv.conf");
  await writeFile(path, servers.map((server) => `nameserver ${server}\n`).join(""), { mode: 0o644 });
  return path;
}
