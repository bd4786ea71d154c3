import { NetworkSetupFailed } from "./errors";
import { runInNetns } from "./host-exec";
import { CONTAINER_IFNAME } from "./names";

/** Byte counters of the container's interface, as seen from inside its network namespace. */
export async function readInterfaceStats(netnsPath: string): Promise<{ rxBytes: number; txBytes: number }> {
  const out = await runInNetns(netnsPath, "ip", ["-j", "-s", "link", "show", "dev", CONTAINER_IFNAME]);
  const links = JSON.parse(out) as { stats64?: { rx?: { bytes?: number }; tx?: { bytes?: number } } }[];
  const stats = links[0]?.stats64;
  if (stats?.rx?.bytes === undefined || stats.tx?.bytes === undefined) {
    throw new NetworkSetupFailed(
      "read interface stats",
      `no counters for ${CONTAINER_IFNAME} in ${netnsPath}`,
    );
  }
  return { rxBytes: stats.rx.bytes, txBytes: stats.tx.bytes };
}
