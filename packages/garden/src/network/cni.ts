import { join } from "node:path";
import { ChildFailed } from "@grove/child";
import { NetworkSetupFailed } from "./errors";
import type { HostExec } from "./host-exec";

/** What the bridge plugin's ADD returned that we keep. */
export interface CniAddResult {
  containerIP: string;
  hostVeth: string | undefined;
}

export interface CniNetwork {
  /** CNI network name; also names the host-local lease directory */
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  /** host-local's lease directory (per cell) */
  ipamDataDir: string;
  pluginDir: string;
  /** the containers' (and so the bridge's) MTU; unset: the plugin's default */
  mtu?: number;
}

export interface CniRequest {
  containerId: string;
  netnsPath: string;
  /** a fixed address, or a sub-range of the subnet, to allocate from */
  want?: { ip: string } | { rangeStart: string; rangeEnd: string };
}

const IFNAME = "eth0";
const CNI_HINT =
  "Check that the CNI plugins are installed (containernetworking-plugins, npm run setup) and that the cell's subnet and bridge are not used by another network.";

/**
 * The network config handed to the `bridge` plugin. Masquerade is off because NAT and filtering are
 * ours (one nft table per cell, replaced atomically); isDefaultGateway puts the gateway on the
 * bridge and a default route in the container.
 */
export function bridgeConfig(net: CniNetwork, req: Pick<CniRequest, "want">): Record<string, unknown> {
  const range: Record<string, string> = { subnet: net.subnet, gateway: net.gateway };
  const want = req.want;
  if (want && "rangeStart" in want) Object.assign(range, want);
  return {
    cniVersion: "1.0.0",
    name: net.name,
    type: "bridge",
    bridge: net.bridge,
    isGateway: true,
    isDefaultGateway: true,
    ipMasq: false,
    ...(net.mtu !== undefined ? { mtu: net.mtu } : {}),
    ipam: { type: "host-local", ranges: [[range]], dataDir: net.ipamDataDir },
    ...(want && "ip" in want ? { args: { cni: { ips: [want.ip] } } } : {}),
  };
}

export async function cniAdd(
  host: HostExec,
  net: CniNetwork,
  req: CniRequest,
  handle: string,
): Promise<CniAddResult> {
  const out = await invoke(host, net, "ADD", req, handle);
  const result = JSON.parse(out) as {
    interfaces?: { name: string; sandbox?: string }[];
    ips?: { address: string; interface?: number }[];
  };
  const address = result.ips?.[0]?.address;
  if (!address) throw new NetworkSetupFailed("cni ADD", `no address in result: ${out}`, handle);
  const interfaces = result.interfaces ?? [];
  const hostVeth = interfaces.find((i) => !i.sandbox && i.name !== net.bridge)?.name;
  return { containerIP: address.split("/")[0] as string, hostVeth };
}

/** Releases the address and removes the veth; fine to call when either is already gone. */
export async function cniDel(
  host: HostExec,
  net: CniNetwork,
  req: CniRequest,
  handle: string,
): Promise<void> {
  await invoke(host, net, "DEL", req, handle);
}

async function invoke(
  host: HostExec,
  net: CniNetwork,
  command: "ADD" | "DEL",
  req: CniRequest,
  handle: string,
): Promise<string> {
  const result = await host.tryRun(join(net.pluginDir, "bridge"), [], {
    input: JSON.stringify(bridgeConfig(net, req)),
    env: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: req.containerId,
      CNI_NETNS: req.netnsPath,
      CNI_IFNAME: IFNAME,
      CNI_PATH: net.pluginDir,
    },
  });
  if (result.exitCode !== 0) {
    const plugin = join(net.pluginDir, "bridge");
    const said = { ...result, stderr: pluginMessage(result.stdout, result.stderr) };
    throw new NetworkSetupFailed(`cni ${command}`, new ChildFailed(plugin, said, CNI_HINT), handle);
  }
  return result.stdout;
}

/** CNI plugins report errors as JSON {code, msg, details} on stdout. */
function pluginMessage(stdout: string, stderr: string): string {
  try {
    const err = JSON.parse(stdout) as { msg?: string; details?: string };
    if (err.msg) return err.details ? `${err.msg}: ${err.details}` : err.msg;
  } catch {
    // not JSON: fall through to the raw text
  }
  return (stderr || stdout).trim() || "plugin failed without a message";
}

export const CONTAINER_IFNAME = IFNAME;
