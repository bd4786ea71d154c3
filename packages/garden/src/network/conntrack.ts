import type { Flow } from "./egress-rules";
import type { HostExec } from "./host-exec";

const FIELD = /(\w+)=(\S+)/g;

/**
 * Parses `conntrack -L` (or /proc/net/nf_conntrack) lines into flows (original direction), keeping only flows whose reply
 * comes from the address they were sent to: a NATed flow (a NetIn port, the router's way in) is
 * not a container-to-destination pair a policy decides.
 */
export function parseConntrack(text: string): Flow[] {
  const flows: Flow[] = [];
  for (const entry of text.split("\n")) {
    // /proc/net/nf_conntrack's lines start with the family (`ipv4     2 `); conntrack -L's do not
    const line = entry.replace(/^ipv4\s+2\s+/, "");
    const protocol = line.split(/\s+/, 1)[0];
    if (protocol !== "tcp" && protocol !== "udp" && protocol !== "icmp") continue;
    const fields = [...line.matchAll(FIELD)].map((m) => [m[1], m[2]] as const);
    const srcs = fields.filter(([k]) => k === "src").map(([, v]) => v);
    const dsts = fields.filter(([k]) => k === "dst").map(([, v]) => v);
    const sports = fields.filter(([k]) => k === "sport").map(([, v]) => Number(v));
    const dports = fields.filter(([k]) => k === "dport").map(([, v]) => Number(v));
    const [source, replySource] = srcs;
    const destination = dsts[0];
    if (source === undefined || destination === undefined || replySource !== destination) continue;
    const flow: Flow = { protocol, source, destination };
    if (sports[0] !== undefined) flow.sourcePort = sports[0];
    if (dports[0] !== undefined) flow.destinationPort = dports[0];
    flows.push(flow);
  }
  return flows;
}

/**
 * Deletes the conntrack entries of `cut` flows in the cell's host namespace, so packets of a
 * connection a policy no longer allows meet the rules again (and, with nf_conntrack_tcp_loose=0,
 * cannot be picked up mid-stream). Returns how many flows were cut.
 */
export async function cutFlows(
  host: HostExec,
  cut: (flow: Flow) => boolean,
  /** the table as text (grove-net reads it without a process start); default `conntrack -L` */
  list: () => Promise<string> = () => host.run("list conntrack", "conntrack", ["-L"]),
): Promise<number> {
  const listed = await list();
  let count = 0;
  for (const flow of parseConntrack(listed).filter(cut)) {
    const args = ["-D", "-p", flow.protocol, "-s", flow.source, "-d", flow.destination];
    if (flow.sourcePort !== undefined) args.push("--sport", String(flow.sourcePort));
    if (flow.destinationPort !== undefined) args.push("--dport", String(flow.destinationPort));
    // exit 1 when the entry went away meanwhile: nothing left to cut
    const result = await host.tryRun("conntrack", args);
    if (result.exitCode === 0) count++;
  }
  return count;
}
