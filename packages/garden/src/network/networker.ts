import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { ContainerNotFound, InvalidSpec } from "../errors";
import type { ContainerNetwork, Networker } from "../seams";
import type { NetInMapping, NetOutRule } from "../types";
import { type NetworkerConfig, type ResolvedNetworkerConfig, resolveNetworkerConfig } from "./config";
import { cutFlows } from "./conntrack";
import { type EgressRules, egressAllows, egressWidens, type Flow, validateEgressRules } from "./egress-rules";
import { NftRefused } from "./errors";
import { HostExec } from "./host-exec";
import { allocateAddress } from "./ipam";
import { contains, formatCidr, formatIPv4, parseIPv4 } from "./ipv4";
import { NETNS_DIR, netnsNameFor, networkId, vethNameFor } from "./names";
import { NetHelper } from "./net-helper";
import { validateNetOutRules } from "./netout";
import { type NftTable, nftDelta, parseRuleset } from "./nft-delta";
import { OverlayRouting } from "./overlay";
import type { OverlayPlan, RemoteSubnet } from "./overlay-plan";
import { NO_PEER_RULES, type PeerRules, peerAllows, peerRulesWiden, validatePeerRules } from "./peer-rules";
import { addMapping } from "./ports";
import { requestedAddress } from "./requested-network";
import { assertSubnetFree } from "./route-conflict";
import { renderRuleset, renderTeardown } from "./ruleset";
import {
  type ContainerRecord,
  cloneState,
  loadState,
  type NetworkState,
  removeState,
  saveState,
} from "./state";
import { readInterfaceStats } from "./stats";

/** The Networker plus what only tests and cell removal need. */
export interface CniNetworker extends Networker {
  /** Tears down every container network, the nft tables, the bridge, leases and the state file. */
  destroyAll(): Promise<void>;
  /**
   * Replaces the peer rules (what isolated containers may open to each other) in one nft
   * transaction; kept across restarts. Meaningful with `isolateContainers`.
   */
  setPeerRules(rules: PeerRules): Promise<void>;
  /**
   * Routes the other hosts' container subnets (needs `overlay`): replaces the routes, and in vxlan
   * mode the neighbour and FDB entries, with those for exactly `remotes`. They stay while the
   * process is down; returns what was planned (and what was skipped, and why).
   */
  setRemoteSubnets(remotes: readonly RemoteSubnet[]): Promise<OverlayPlan>;
  /**
   * Replaces peer rules and egress together in one nft transaction (kept across restarts), then
   * cuts the open connections the old policy allowed and the new one does not (conntrack).
   */
  setPolicy(policy: NetworkPolicy): Promise<{ flowsCut: number }>;
}

/** What a cell enforces: peer rules between its containers and where they may go beyond. */
export interface NetworkPolicy {
  peers: PeerRules;
  /** absent: open egress */
  egress?: EgressRules;
}

/**
 * A Networker wired in-process, as Guardian's is: a long-lived `grove-net` helper makes namespaces
 * and veths over rtnetlink and applies the cell's nft table pair through libnftables, so a
 * container's network costs no process start (see net-helper.ts).
 *
 * Each container gets one address of the cell subnet on a shared bridge whose first address is the
 * gateway (rather than a /30 per container): no address is wasted on per-container
 * network/broadcast/gateway, and one bridge keeps container↔container traffic L2. Addresses are
 * allocated from the saved state (ipam.ts). Operations are serialized; state is saved before
 * anything is wired (so a crash mid-way leaves a record restore() cleans up) and before the rules
 * are applied, so after a crash restore() re-applies the rules the saved state describes.
 *
 * @example
 * const net = createNetworker({ stateDir, bridge: "grove0", subnet: "10.254.0.0/22", name: "grove",
 *   externalIP: "192.168.1.10", log });
 * const { netnsPath, containerIP } = await net.up("web-1", {});
 * const { hostPort } = await net.netIn("web-1", 0, 8080);
 */
export function createNetworker(config: NetworkerConfig): CniNetworker {
  const cfg: ResolvedNetworkerConfig = resolveNetworkerConfig(config);
  const log = cfg.log.child({ component: "garden.network", network: cfg.name });
  const host = new HostExec(cfg.hostNetns);
  const helper = new NetHelper(cfg.helperDir, cfg.hostNetns);
  const subnet = formatCidr(cfg.cidr);
  const gateway = formatIPv4(cfg.gateway);
  /** the containers' (and so the bridge's) MTU; undefined: the kernel's default (asked once) */
  let mtu: Promise<number | undefined> | undefined;
  const overlay = cfg.overlay
    ? new OverlayRouting(host, {
        overlay: cfg.overlay,
        own: cfg.cidr,
        externalIP: cfg.externalIP,
        device: `gvx${networkId(cfg.name).slice(0, 8)}`,
        log,
      })
    : undefined;
  let overlayQueue: Promise<unknown> = Promise.resolve();
  let state: NetworkState | undefined;
  let hostPrepared = false;
  let queue: Promise<unknown> = Promise.resolve();

  /** One operation at a time: the nft table is rendered from the whole state. */
  function serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  async function current(): Promise<NetworkState> {
    state ??= await loadState(cfg.stateDir, cfg.portPool.start);
    return state;
  }

  function toNetwork(record: ContainerRecord): ContainerNetwork {
    return {
      handle: record.handle,
      netnsPath: record.netnsPath,
      containerIP: record.containerIP ?? "",
      hostIP: gateway,
      externalIP: cfg.externalIP,
      mappedPorts: record.mappedPorts.map((m) => ({ ...m })),
    };
  }

  function upRecord(s: NetworkState, handle: string): ContainerRecord {
    const record = s.containers[handle];
    if (record?.status !== "up") throw new ContainerNotFound(handle);
    return record;
  }

  /** The nft script of the cell's tables for state `s`. */
  function rulesOf(s: NetworkState): string {
    return renderRuleset({
      table: cfg.name,
      bridge: cfg.bridge,
      subnet,
      externalIP: cfg.externalIP,
      containers: Object.values(s.containers),
      isolateContainers: cfg.isolateContainers,
      peerRules: s.peerRules ?? NO_PEER_RULES,
      ...(s.egress ? { egress: s.egress } : {}),
      overlay: cfg.overlay ? formatCidr(cfg.overlay.cidr) : undefined,
    });
  }

  /** The tables the kernel was last given (in full or as a change), parsed; undefined: unknown. */
  let applied: NftTable[] | undefined;

  /**
   * Sends `rules` (the whole script of a state) through `send` as the change from the script applied
   * last (nft-delta: a container or policy change costs what changed), or whole when that is unknown
   * or the change cannot be said incrementally. Either way it is one nft transaction. Should nft
   * refuse a change (the kernel's tables are not what was applied last), the whole script follows.
   */
  async function applyVia(rules: string, send: (script: string) => Promise<void>): Promise<void> {
    const tables = parseRuleset(rules);
    const delta = applied === undefined || tables === undefined ? undefined : nftDelta(applied, tables);
    applied = undefined;
    try {
      await send(delta ?? rules);
    } catch (err) {
      if (delta === undefined || !(err instanceof NftRefused)) throw err;
      log.warn({ err: err.message }, "nft refused the change; applying the whole ruleset");
      await helper.nft("apply nft ruleset", rules);
    }
    applied = tables;
  }

  async function applyRules(s: NetworkState): Promise<void> {
    await applyVia(rulesOf(s), (script) => helper.nft("apply nft ruleset", script));
  }

  /** Saves `next`, applies its rules, and only then makes it current; on failure the old state stays. */
  async function commit(next: NetworkState): Promise<void> {
    const previous = await current();
    await saveState(cfg.stateDir, next);
    try {
      await applyRules(next);
    } catch (err) {
      await saveState(cfg.stateDir, previous);
      throw err;
    }
    state = next;
  }

  async function prepareHost(): Promise<void> {
    if (hostPrepared) return;
    await host.sysctl("net.ipv4.ip_forward", "1");
    // Lets host clients reach NetIn ports on 127.0.0.1: DNATed packets keep their loopback source
    // until postrouting masquerades them, and routing drops such "martians" on other interfaces.
    await host.sysctl(`net.ipv4.conf.${cfg.bridge}.route_localnet`, "1");
    // Bridged container↔container packets meet the forward chain (and the peer rules) only so.
    if (cfg.isolateContainers) await host.sysctl("net.bridge.bridge-nf-call-iptables", "1");
    if (cfg.isolateContainers) await strictConntrack();
    hostPrepared = true;
  }

  let conntrackStrict = false;
  /** A TCP segment of a flow conntrack forgot (a cut one) is not picked up as a new flow. */
  async function strictConntrack(): Promise<void> {
    if (conntrackStrict) return;
    await host.sysctl("net.netfilter.nf_conntrack_tcp_loose", "0");
    conntrackStrict = true;
  }

  /**
   * Removes the veth and the netns name (each step tolerates a missing piece), then applies
   * `rules` when given, in the same round trip to grove-net.
   */
  async function teardown(record: ContainerRecord, rules?: string): Promise<void> {
    if (rules === undefined) await helper.down(record.netnsPath, record.hostVeth, record.handle);
    else
      await applyVia(rules, (script) =>
        helper.down(record.netnsPath, record.hostVeth, record.handle, script),
      );
  }

  async function up(
    handle: string,
    opts: { network?: string; netnsPath?: string },
  ): Promise<ContainerNetwork> {
    return serialize(async () => {
      const s = await current();
      const existing = s.containers[handle];
      if (existing?.status === "up") return toNetwork(existing);
      const want = requestedAddress(opts.network, cfg.cidr, cfg.gateway);
      const l = log.child({ handle });
      if (existing) {
        l.warn("cleaning up a half-created network before creating it again");
        await teardown(existing);
      }
      const netnsName = netnsNameFor(cfg.name, handle);
      const creating = cloneState(existing ? withoutRecord(s, handle) : s);
      const record: ContainerRecord = {
        handle,
        id: networkId(handle),
        netnsName,
        netnsPath: join(NETNS_DIR, netnsName),
        status: "creating",
        containerIP: allocateAddress(creating, cfg.cidr, cfg.gateway, want),
        hostVeth: vethNameFor(cfg.name, handle),
        mappedPorts: [],
        netOut: [],
      };
      creating.containers[handle] = record;
      await saveState(cfg.stateDir, creating);
      state = creating;
      const next = cloneState(creating);
      next.containers[handle] = { ...record, status: "up" };
      try {
        mtu ??= overlay ? overlay.containerMtu() : Promise.resolve(undefined);
        // wiring and the rules naming it in one round trip; the state says "up" only after both
        const wiring = {
          netnsPath: record.netnsPath,
          adopt: opts.netnsPath,
          bridge: cfg.bridge,
          veth: record.hostVeth as string,
          address: record.containerIP as string,
          prefix: cfg.cidr.prefix,
          gateway,
          mtu: await mtu.catch((err: unknown) => {
            mtu = undefined;
            throw err;
          }),
        };
        await applyVia(rulesOf(next), (script) => helper.up(wiring, handle, script));
        await prepareHost();
        await saveState(cfg.stateDir, next);
        state = next;
        l.info({ containerIP: record.containerIP, netns: record.netnsPath }, "network up");
        return toNetwork(next.containers[handle] as ContainerRecord);
      } catch (err) {
        l.error({ err }, "network up failed; rolling back");
        const rolledBack = withoutRecord(await current(), handle);
        // the rules may name it already (a failure after grove-net applied them)
        await teardown(record, rulesOf(rolledBack)).catch((e) => l.error({ err: e }, "rollback failed"));
        await saveState(cfg.stateDir, rolledBack);
        state = rolledBack;
        throw err;
      }
    });
  }

  async function netIn(handle: string, hostPort: number, containerPort: number): Promise<NetInMapping> {
    for (const port of [hostPort, containerPort]) {
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new InvalidSpec(`port ${port}: want 0-65535`, { handle });
    }
    return serialize(async () => {
      const s = await current();
      upRecord(s, handle);
      const next = cloneState(s);
      const before = next.containers[handle]?.mappedPorts.length;
      const mapping = addMapping(next, handle, cfg.portPool, hostPort, containerPort);
      if (next.containers[handle]?.mappedPorts.length !== before) {
        await commit(next);
        log.info({ handle, ...mapping }, "net in");
      }
      return { ...mapping };
    });
  }

  async function netOut(handle: string, rules: NetOutRule[]): Promise<void> {
    validateNetOutRules(rules);
    await serialize(async () => {
      const s = await current();
      upRecord(s, handle);
      const next = cloneState(s);
      next.containers[handle]?.netOut.push(...structuredClone(rules));
      await commit(next);
      log.info({ handle, rules: rules.length }, "net out");
    });
  }

  async function stats(handle: string): Promise<{ rxBytes: number; txBytes: number }> {
    const record = upRecord(await serialize(current), handle);
    return readInterfaceStats(record.netnsPath);
  }

  async function down(handle: string): Promise<void> {
    await serialize(async () => {
      const s = await current();
      const record = s.containers[handle];
      if (record === undefined) return;
      const next = withoutRecord(s, handle);
      await teardown(record, rulesOf(next));
      await saveState(cfg.stateDir, next);
      state = next;
      log.info({ handle }, "network down");
    });
  }

  async function restore(): Promise<ContainerNetwork[]> {
    return serialize(async () => {
      await assertSubnetFree(host, cfg.cidr, cfg.bridge);
      state = await loadState(cfg.stateDir, cfg.portPool.start);
      const next = cloneState(state);
      for (const record of Object.values(state.containers)) {
        if (record.status === "up") {
          if (!existsSync(record.netnsPath))
            log.warn({ handle: record.handle }, "netns missing after restart");
          continue;
        }
        // up() never returned for it, so no container uses it: finish the cleanup.
        log.warn({ handle: record.handle }, "removing a half-created network");
        await teardown(record);
        delete next.containers[record.handle];
      }
      const ups = Object.values(next.containers);
      if (ups.length > 0) await prepareHost();
      // Same rules as before the restart (atomic swap, connections survive); also heals a crash
      // between saving the state and applying its rules.
      await commit(next);
      log.info({ containers: ups.length }, "network state restored");
      return ups.map(toNetwork);
    });
  }

  async function setPeerRules(rules: PeerRules): Promise<void> {
    validatePeerRules(rules);
    await serialize(async () => {
      const next = cloneState(await current());
      next.peerRules = structuredClone(rules);
      await commit(next);
      log.info({ groups: Object.keys(rules.groups).length, rules: rules.allow.length }, "peer rules set");
    });
  }

  /** The host namespace's conntrack table: read by grove-net, or by `conntrack -L` without procfs. */
  async function listConntrack(): Promise<string> {
    try {
      return await helper.conntrack();
    } catch (err) {
      log.debug({ err }, "conntrack not readable through grove-net; listing with conntrack -L");
      return host.run("list conntrack", "conntrack", ["-L"]);
    }
  }

  /** Whether the policy of `s` lets a flow of a container of this cell through. */
  function verdict(s: NetworkState, flow: Flow): boolean {
    const source = parseIPv4(flow.source);
    const destination = parseIPv4(flow.destination);
    if (source === undefined || destination === undefined) return false;
    const container = (address: number) =>
      contains(cfg.cidr, address) || (cfg.overlay !== undefined && contains(cfg.overlay.cidr, address));
    if (!container(source)) return false;
    // containers, here or (through the overlay) on other hosts, are peers; the rest is egress
    if (container(destination))
      return !cfg.isolateContainers || peerAllows(s.peerRules ?? NO_PEER_RULES, flow);
    if (!contains(cfg.cidr, source)) return false;
    return s.egress === undefined || egressAllows(s.egress, flow);
  }

  async function setPolicy(policy: NetworkPolicy): Promise<{ flowsCut: number }> {
    validatePeerRules(policy.peers);
    if (policy.egress) validateEgressRules(policy.egress);
    return serialize(async () => {
      const s = await current();
      const next = cloneState(s);
      next.peerRules = structuredClone(policy.peers);
      if (policy.egress) next.egress = structuredClone(policy.egress);
      else delete next.egress;
      if (JSON.stringify([s.peerRules, s.egress]) === JSON.stringify([next.peerRules, next.egress]))
        return { flowsCut: 0 };
      await strictConntrack();
      await commit(next);
      // a change that only allows more (a policy added, an app's new instance) cuts nothing
      const widens =
        peerRulesWiden(s.peerRules ?? NO_PEER_RULES, next.peerRules ?? NO_PEER_RULES) &&
        egressWidens(s.egress, next.egress);
      const cut = (flow: Flow) => verdict(s, flow) && !verdict(next, flow);
      const flowsCut = widens ? 0 : await cutFlows(host, cut, listConntrack);
      log.info(
        {
          groups: Object.keys(policy.peers.groups).length,
          rules: policy.peers.allow.length,
          egress: policy.egress?.allow.length,
          flowsCut,
        },
        "network policy set",
      );
      return { flowsCut };
    });
  }

  async function setRemoteSubnets(remotes: readonly RemoteSubnet[]): Promise<OverlayPlan> {
    if (!overlay) throw new InvalidSpec("this network has no overlay: remote subnets cannot be routed");
    const run = overlayQueue.then(() => overlay.apply(remotes));
    overlayQueue = run.catch(() => undefined);
    const plan = await run;
    log.info({ routes: plan.routes.length, skipped: plan.skipped.length }, "remote subnets routed");
    return plan;
  }

  async function destroyAll(): Promise<void> {
    await overlayQueue;
    await overlay?.teardown();
    await serialize(async () => {
      const s = await current();
      for (const record of Object.values(s.containers)) await teardown(record);
      await helper.settle();
      applied = undefined;
      await helper.nft("delete nft tables", renderTeardown(cfg.name));
      const link = await host.tryRun("ip", ["link", "show", "dev", cfg.bridge]);
      if (link.exitCode === 0) await host.run("delete bridge", "ip", ["link", "delete", "dev", cfg.bridge]);
      // host-local's leases of networks wired by the CNI plugins before grove-net
      await rm(join(cfg.stateDir, "ipam"), { recursive: true, force: true });
      await removeState(cfg.stateDir);
      helper.close();
      state = undefined;
      hostPrepared = false;
      log.info("network destroyed");
    });
  }

  return {
    up,
    netIn,
    netOut,
    stats,
    down,
    restore,
    destroyAll,
    setPeerRules,
    setPolicy,
    setRemoteSubnets,
  };
}

/** A copy of `s` without the handle's record. */
function withoutRecord(s: NetworkState, handle: string): NetworkState {
  const next = cloneState(s);
  delete next.containers[handle];
  return next;
}
