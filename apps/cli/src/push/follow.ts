import type { App, GroveClient, Instance } from "@grove/client";
import { NotHealthy } from "../errors";

/** How long `followPlacement` waits, and for what. */
export interface FollowOptions {
  /** give up (not healthy) after this long */
  timeoutMs: number;
  /** an instance the scheduler could not place for this long makes the push fail at once */
  unplacedGraceMs: number;
  pollMs?: number;
  /** told each time an instance of the revision changes state or cell, or its image pull moves on */
  onChange?: (instance: Instance) => void;
  now?: () => number;
}

/**
 * Polls an app's instances until all instances of `app.revision` are RUNNING. Throws
 * `NotHealthy` (exit 2) with the reason when one crashes, when one stays unplaceable past the
 * grace period, or at the timeout.
 */
export async function followPlacement(
  client: GroveClient,
  app: App,
  options: FollowOptions,
): Promise<Instance[]> {
  const now = options.now ?? Date.now;
  const desired = app.state === "started" ? app.instances : 0;
  const deadline = now() + options.timeoutMs;
  const seen = new Map<string, string>();
  const unplacedSince = new Map<string, number>();
  for (;;) {
    const ofRevision = (await client.listInstances({ name: app.name, space: app.space })).filter(
      (i) => i.revision === app.revision,
    );
    const current = ofRevision.filter((i) => i.state !== "STOPPED");
    for (const instance of current) {
      const key = `${instance.state} ${instance.cell?.id ?? ""} ${instance.pull?.bytes ?? ""}`;
      if (seen.get(instance.id) !== key) {
        seen.set(instance.id, key);
        options.onChange?.(instance);
      }
    }
    const running = current.filter((i) => i.state === "RUNNING");
    if (running.length >= desired) return current;
    // a crashed instance is soon replaced by a new one that inherits its crash count
    const crashed = current.find(
      (i) => i.state === "CRASHED" || (i.crash_count > 0 && i.state !== "RUNNING"),
    );
    if (crashed) {
      const reason = crashed.reason ?? crashReason(ofRevision, crashed.index);
      const times = `${crashed.crash_count} time${crashed.crash_count === 1 ? "" : "s"}`;
      throw new NotHealthy(
        `${app.name}: instance ${crashed.index} crashed ${times}${reason ? `: ${reason}` : " and is restarting"}`,
      );
    }
    for (const instance of current) {
      if (instance.state !== "UNPLACED" || !instance.reason) {
        unplacedSince.delete(instance.id);
        continue;
      }
      const since = unplacedSince.get(instance.id) ?? now();
      unplacedSince.set(instance.id, since);
      if (now() - since >= options.unplacedGraceMs) {
        throw new NotHealthy(
          `${app.name}: instance ${instance.index} could not be placed: ${instance.reason}`,
        );
      }
    }
    if (now() >= deadline) {
      const unplaced = current.find((i) => i.state === "UNPLACED" && i.reason);
      if (unplaced) {
        throw new NotHealthy(
          `${app.name}: instance ${unplaced.index} could not be placed: ${unplaced.reason}`,
        );
      }
      const waiting = current
        .filter((i) => i.state !== "RUNNING")
        .map((i) => `instance ${i.index} ${i.state}${i.reason ? ` (${i.reason})` : ""}`);
      const missing = desired - current.length;
      if (missing > 0) waiting.push(`${missing} not created yet`);
      throw new NotHealthy(
        `${app.name}: ${running.length}/${desired} instances running after ${Math.round(options.timeoutMs / 1000)} s` +
          (waiting.length ? `; ${waiting.join(", ")}` : ""),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

/** The reason the latest stopped or crashed instance at `index` gave. */
function crashReason(instances: Instance[], index: number): string | undefined {
  return (
    instances
      .filter((i) => i.index === index && i.reason && (i.state === "STOPPED" || i.state === "CRASHED"))
      .sort((a, b) => Date.parse(b.since) - Date.parse(a.since))[0]?.reason ?? undefined
  );
}
