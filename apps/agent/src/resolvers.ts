import { readFileSync } from "node:fs";

/**
 * The DNS servers the cell's resolver forwards names that are not app-internal to: `configured`
 * when set, else the IPv4 nameservers of the host's resolv.conf.
 */
export function cellResolvers(configured: readonly string[], resolvConf = "/etc/resolv.conf"): string[] {
  if (configured.length > 0) return [...configured];
  let text = "";
  try {
    text = readFileSync(resolvConf, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .map((line) => /^\s*nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/.exec(line)?.[1])
    .filter((address): address is string => address !== undefined);
}
