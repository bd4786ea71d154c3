import { CommandReply, decode, subjects } from "@grove/protocol";
import type { NatsConnection } from "@nats-io/transport-node";
import { commandBytes } from "../policies/push";

/**
 * Asks the cell holding a deleted volume to remove it (unmount, detach its loop device, delete its
 * image). Answers whether the cell did; when it did not (unreachable, or an instance there still
 * mounts it), the leader removes it later, from the volumes the cell's heartbeats report.
 */
export async function removeVolumeOnCell(
  nc: NatsConnection,
  cellId: string,
  volumeId: string,
  timeoutMs = 10_000,
): Promise<{ removed: boolean; error?: string }> {
  try {
    const msg = await nc.request(
      subjects.commands(cellId),
      commandBytes({ type: "remove-volume", volumeId }),
      { timeout: timeoutMs },
    );
    const reply = decode(CommandReply, msg.data, msg.subject);
    if (!reply.ok) return { removed: false, error: reply.error.message };
    return reply.value.ok ? { removed: true } : { removed: false, error: reply.value.error ?? "refused" };
  } catch (error) {
    return { removed: false, error: (error as Error).message };
  }
}
