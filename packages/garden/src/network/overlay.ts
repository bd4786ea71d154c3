import type { Logger } from "pino";
import { InvalidNetworkerConfig } from "./errors";
import type { HostExec } from "./host-exec";
import { type Cidr, contains, formatCidr, parseIPv4 } from "./ipv4";
import {
  type OverlayMode,
  type OverlayPlan,
  parseSubnet,
  planOverlay,
  type RemoteSubnet,
  VXLAN_OVERHEAD,
  vtepAddress,
  vtepMac,
} from "./overlay-plan";

/** Routes Grove installs carry this protocol number, so they can be told from anyone else's. */
export const OVERLAY_ROUTE_PROTO = "199";
const VXLAN_PORT = "4789";

/** The networker's overlay settings, as configured. */
export interface OverlayConfig {
  /** the range every host's container subnet lies in, e.g. 10.250.0.0/16 */
  cidr: string;
  mode: OverlayMode;
  /** VXLAN network identifier (vxlan mode); default 4242 */
  vni?: number;
}

export interface ResolvedOverlay {
  cidr: Cidr;
  mode: OverlayMode;
  vni: number;
}

export function resolveOverlay(config: OverlayConfig, own: Cidr): ResolvedOverlay {
  let cidr: Cidr;
  try {
    cidr = parseSubnet(config.cidr);
  } catch (error) {
    throw new InvalidNetworkerConfig(`overlay ${(error as Error).message}`);
  }
  if (own.prefix < cidr.prefix || !contains(cidr, own.network))
    throw new InvalidNetworkerConfig(`subnet ${formatCidr(own)} lies outside the overlay ${config.cidr}`);
  if (config.mode !== "routes" && config.mode !== "vxlan")
    throw new InvalidNetworkerConfig(`overlay mode ${JSON.stringify(config.mode)}: want routes or vxlan`);
  const vni = config.vni ?? 4242;
  if (!Number.isInteger(vni) || vni < 1 || vni > 16_777_215)
    throw new InvalidNetworkerConfig(`overlay vni ${vni}: want 1-16777215`);
  return { cidr, mode: config.mode, vni };
}

/**
 * The host side of the overlay: the VXLAN device (vxlan mode) and the routes, neighbour and FDB
 * entries to the remote subnets. `apply` converges the kernel to a plan: what the plan lacks is
 * deleted (only Grove's own entries: routes of protocol 199 inside the overlay, entries on its
 * device), what it holds is replaced, all with one `ip -batch` (and one `bridge -batch`).
 */
export class OverlayRouting {
  #underlay: { device: string; mtu: number } | undefined;

  constructor(
    private readonly host: HostExec,
    private readonly cfg: {
      overlay: ResolvedOverlay;
      own: Cidr;
      externalIP: string;
      /** the VXLAN device's name */
      device: string;
      log: Logger;
    },
  ) {}

  /** The MTU containers need: the underlay's minus VXLAN's overhead in vxlan mode; routes mode needs none. */
  async containerMtu(): Promise<number | undefined> {
    if (this.cfg.overlay.mode !== "vxlan") return undefined;
    return (await this.underlay()).mtu - VXLAN_OVERHEAD;
  }

  async apply(remotes: readonly RemoteSubnet[]): Promise<OverlayPlan> {
    const { overlay, own, externalIP, device } = this.cfg;
    const plan = planOverlay({
      mode: overlay.mode,
      overlay: overlay.cidr,
      self: { subnet: own, address: externalIP },
      remotes,
      device,
    });
    if (overlay.mode === "vxlan") await this.ensureDevice();
    const wanted = new Set(plan.routes.map((r) => r.subnet));
    const stale = (await this.#routes()).filter((dst) => !wanted.has(dst));
    const ipLines = [
      ...stale.map((dst) => `route del ${dst} proto ${OVERLAY_ROUTE_PROTO}`),
      ...plan.routes.map((r) =>
        r.device
          ? `route replace ${r.subnet} via ${r.via} dev ${r.device} onlink proto ${OVERLAY_ROUTE_PROTO}`
          : `route replace ${r.subnet} via ${r.via} proto ${OVERLAY_ROUTE_PROTO}`,
      ),
    ];
    if (overlay.mode === "vxlan") {
      const neighbours = new Set(plan.neighbours.map((n) => n.address));
      const macs = new Set(plan.fdb.map((f) => `${f.mac} ${f.dst}`));
      const staleNeighbours = (await this.#neighbours()).filter((a) => !neighbours.has(a));
      const staleFdb = (await this.#fdb()).filter((f) => !macs.has(`${f.mac} ${f.dst}`));
      ipLines.push(
        ...staleNeighbours.map((a) => `neigh del ${a} dev ${device}`),
        ...plan.neighbours.map(
          (n) => `neigh replace ${n.address} lladdr ${n.mac} dev ${device} nud permanent`,
        ),
      );
      const bridgeLines = [
        ...staleFdb.map((f) => `fdb del ${f.mac} dev ${device} dst ${f.dst} self`),
        ...plan.fdb.map((f) => `fdb append ${f.mac} dev ${device} dst ${f.dst} self permanent`),
      ];
      // fdb first: a route is only useful once its neighbour's frames know where to go
      if (bridgeLines.length > 0) await this.#batch("bridge", bridgeLines);
    }
    if (ipLines.length > 0) await this.#batch("ip", ipLines);
    if (plan.skipped.length > 0) this.cfg.log.warn({ skipped: plan.skipped }, "remote subnets not routed");
    return plan;
  }

  /** Removes Grove's routes and the VXLAN device. */
  async teardown(): Promise<void> {
    const lines = (await this.#routes()).map((dst) => `route del ${dst} proto ${OVERLAY_ROUTE_PROTO}`);
    if (lines.length > 0) await this.#batch("ip", lines);
    const link = await this.host.tryRun("ip", ["link", "show", "dev", this.cfg.device]);
    if (link.exitCode === 0)
      await this.host.run("delete vxlan device", "ip", ["link", "delete", "dev", this.cfg.device]);
  }

  async ensureDevice(): Promise<void> {
    const { device, own, externalIP, overlay } = this.cfg;
    const link = await this.host.tryRun("ip", ["link", "show", "dev", device]);
    if (link.exitCode === 0) return;
    const underlay = await this.underlay();
    await this.#batch("ip", [
      `link add ${device} type vxlan id ${overlay.vni} local ${externalIP} dev ${underlay.device} dstport ${VXLAN_PORT} nolearning`,
      `link set ${device} address ${vtepMac(own)} mtu ${underlay.mtu - VXLAN_OVERHEAD}`,
      `addr replace ${vtepAddress(own)}/32 dev ${device}`,
      `link set ${device} up`,
    ]);
    this.cfg.log.info({ device, vni: overlay.vni, underlay: underlay.device }, "vxlan device up");
  }

  /** The interface holding the host's external address, and its MTU. */
  async underlay(): Promise<{ device: string; mtu: number }> {
    if (this.#underlay) return this.#underlay;
    const out = await this.host.run("find the underlay", "ip", ["-j", "-4", "addr", "show"]);
    const links = JSON.parse(out || "[]") as {
      ifname: string;
      mtu: number;
      addr_info?: { local: string }[];
    }[];
    const link = links.find((l) => l.addr_info?.some((a) => a.local === this.cfg.externalIP));
    if (!link)
      throw new InvalidNetworkerConfig(
        `no interface holds the external address ${this.cfg.externalIP}; the overlay needs it`,
      );
    this.#underlay = { device: link.ifname, mtu: link.mtu };
    return this.#underlay;
  }

  async #routesJson(): Promise<{ dst: string }[]> {
    const out = await this.host.run("list routes", "ip", [
      "-j",
      "-4",
      "route",
      "show",
      "proto",
      OVERLAY_ROUTE_PROTO,
    ]);
    return JSON.parse(out || "[]") as { dst: string }[];
  }

  /** Grove's routes inside the overlay, by destination. */
  async #routes(): Promise<string[]> {
    return (await this.#routesJson())
      .map((r) => r.dst)
      .filter((dst) => {
        const [address] = dst.split("/");
        const value = address === undefined ? undefined : parseIPv4(address);
        return value !== undefined && contains(this.cfg.overlay.cidr, value);
      });
  }

  async #neighbours(): Promise<string[]> {
    const out = await this.host.run("list neighbours", "ip", [
      "-j",
      "-4",
      "neigh",
      "show",
      "dev",
      this.cfg.device,
    ]);
    return (JSON.parse(out || "[]") as { dst: string }[]).map((n) => n.dst);
  }

  async #fdb(): Promise<{ mac: string; dst: string }[]> {
    const out = await this.host.run("list fdb", "bridge", ["-j", "fdb", "show", "dev", this.cfg.device]);
    return (JSON.parse(out || "[]") as { mac: string; dst?: string }[]).flatMap((f) =>
      f.dst ? [{ mac: f.mac, dst: f.dst }] : [],
    );
  }

  async #batch(tool: "ip" | "bridge", lines: string[]): Promise<void> {
    await this.host.run(`${tool} batch`, tool, ["-batch", "-"], { input: `${lines.join("\n")}\n` });
  }
}
