import type { NetOutRule, PortRange } from "../types";
import { InvalidNetOutRule } from "./errors";
import { parseIPv4 } from "./ipv4";

/**
 * Turns Garden NetOut rules into nft statements for the container's egress chain. Each rule becomes
 * one ACCEPT (preceded by `log` when asked). Invalid rules throw before anything is applied.
 */
export function netOutStatements(rules: NetOutRule[], logPrefix: string): string[] {
  return rules.map((rule) => netOutStatement(rule, logPrefix));
}

export function validateNetOutRules(rules: NetOutRule[]): void {
  netOutStatements(rules, "check");
}

function netOutStatement(rule: NetOutRule, logPrefix: string): string {
  const parts: string[] = [];
  const networks = rule.networks ?? [];
  if (networks.length > 0) parts.push(`ip daddr ${anonymousSet(networks.map(networkRange))}`);

  const ports = rule.ports ?? [];
  switch (rule.protocol) {
    case "all":
      if (ports.length > 0) throw new InvalidNetOutRule("ports need protocol tcp or udp, not all");
      if (rule.icmps) throw new InvalidNetOutRule("icmps need protocol icmp");
      break;
    case "tcp":
    case "udp":
      if (rule.icmps) throw new InvalidNetOutRule("icmps need protocol icmp");
      parts.push(
        ports.length > 0
          ? `${rule.protocol} dport ${anonymousSet(ports.map(portRange))}`
          : `meta l4proto ${rule.protocol}`,
      );
      break;
    case "icmp":
      if (ports.length > 0) throw new InvalidNetOutRule("ports need protocol tcp or udp, not icmp");
      parts.push("meta l4proto icmp");
      if (rule.icmps) {
        const { type, code } = rule.icmps;
        if (!isByte(type)) throw new InvalidNetOutRule(`icmp type ${type}: want 0-255`);
        parts.push(`icmp type ${type}`);
        if (code !== undefined) {
          if (!isByte(code)) throw new InvalidNetOutRule(`icmp code ${code}: want 0-255`);
          parts.push(`icmp code ${code}`);
        }
      }
      break;
    default:
      throw new InvalidNetOutRule(
        `unknown protocol ${JSON.stringify((rule as { protocol: unknown }).protocol)}`,
      );
  }
  if (rule.log) parts.push(`log prefix "${logPrefix} "`);
  parts.push("accept");
  return parts.join(" ");
}

function networkRange(range: { start: string; end: string }): string {
  const start = parseIPv4(range.start);
  const end = parseIPv4(range.end === "" ? range.start : range.end);
  if (start === undefined || end === undefined) {
    throw new InvalidNetOutRule(`network ${range.start}-${range.end}: want IPv4 addresses`);
  }
  if (start > end) throw new InvalidNetOutRule(`network ${range.start}-${range.end}: start after end`);
  return start === end ? range.start : `${range.start}-${range.end}`;
}

function portRange(range: PortRange): string {
  const end = range.end === 0 ? range.start : range.end;
  if (!isPort(range.start) || !isPort(end) || range.start > end) {
    throw new InvalidNetOutRule(`ports ${range.start}-${range.end}: want 1-65535, start <= end`);
  }
  return range.start === end ? `${range.start}` : `${range.start}-${end}`;
}

function anonymousSet(items: string[]): string {
  return items.length === 1 ? (items[0] as string) : `{ ${items.join(", ")} }`;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function isByte(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 255;
}
