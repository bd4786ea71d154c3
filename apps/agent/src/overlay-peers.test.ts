import type { OverlayPlan, RemoteSubnet } from "@grove/garden";
import type { ApplyPeers } from "@grove/protocol";
import { pino } from "pino";
import { describe, expect, test } from "vitest";
import { OverlayPeers, remoteSubnetsOf } from "./overlay-peers";

const network = { subnet: "10.250.1.0/24", range: "10.250.0.0/16", mode: "routes" as const };
const command = (version: number, peers: ApplyPeers["peers"]): ApplyPeers => ({
  type: "apply-peers",
  version,
  range: network.range,
  mode: network.mode,
  peers,
});
const b = { cellId: "b", address: "192.0.2.2", subnet: "10.250.2.0/24" };
const c = { cellId: "c", address: "192.0.2.3", subnet: "10.250.3.0/24" };

function recorder() {
  const calls: RemoteSubnet[][] = [];
  const set = async (remotes: readonly RemoteSubnet[]): Promise<OverlayPlan> => {
    calls.push([...remotes]);
    return { routes: [], neighbours: [], fdb: [], skipped: [] };
  };
  return { calls, set };
}

describe("overlay peers on a cell", () => {
  test("the other cells become remote subnets, in a stable order", () => {
    expect(remoteSubnetsOf(command(1, [c, b]))).toEqual([
      { subnet: "10.250.2.0/24", address: "192.0.2.2" },
      { subnet: "10.250.3.0/24", address: "192.0.2.3" },
    ]);
  });

  test("routes each new list once; an equal list or an older version changes nothing", async () => {
    const { calls, set } = recorder();
    const peers = new OverlayPeers(set, network, pino({ level: "silent" }));
    expect(await peers.apply(command(1, [b]))).toEqual({ duplicate: false });
    expect(await peers.apply(command(2, [b]))).toEqual({ duplicate: true });
    expect(await peers.apply(command(3, [b, c]))).toEqual({ duplicate: false });
    expect(await peers.apply(command(2, [b]))).toEqual({ duplicate: true });
    expect(await peers.apply(command(4, [c]))).toEqual({ duplicate: false });
    expect(calls.map((list) => list.map((r) => r.subnet))).toEqual([
      ["10.250.2.0/24"],
      ["10.250.2.0/24", "10.250.3.0/24"],
      ["10.250.3.0/24"],
    ]);
  });

  test("a cell without a lease refuses, saying why", async () => {
    const peers = new OverlayPeers(undefined, undefined, pino({ level: "silent" }));
    await expect(peers.apply(command(1, [b]))).rejects.toThrow(/no leased subnet/);
  });
});
