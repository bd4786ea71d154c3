import { schema } from "@grove/db";
import { and, eq, inArray, ne, sql } from "drizzle-orm";
import { NotFound, SingleWriterVolume } from "../errors";
import type { Tx } from "../repo/tx";

const { apps, volumes } = schema;
type VolumeMount = schema.VolumeMount;

/** A mount as the API takes it: a volume of the app's tenant and space, by name. */
export interface RequestedMount {
  name: string;
  path: string;
  readOnly: boolean;
}

/**
 * Resolves the volumes an app asks to mount, inside the transaction that changes the app: each
 * must be a volume of the app's tenant *and* space — any other is not found, exactly like a
 * volume that does not exist. The rows are locked (`FOR SHARE`), so a concurrent delete of a
 * volume waits and then sees it in use.
 */
export async function resolveMounts(
  tx: Tx,
  owner: { tenantId: string; spaceId: string },
  requested: readonly RequestedMount[],
): Promise<VolumeMount[]> {
  if (requested.length === 0) return [];
  const names = requested.map((m) => m.name);
  const rows = await tx
    .select({ id: volumes.id, name: volumes.name })
    .from(volumes)
    .where(
      and(
        eq(volumes.tenantId, owner.tenantId),
        eq(volumes.spaceId, owner.spaceId),
        inArray(volumes.name, names),
      ),
    )
    .for("share");
  const byName = new Map(rows.map((row) => [row.name, row.id]));
  return requested.map((m) => {
    const volumeId = byName.get(m.name);
    if (volumeId === undefined) throw new NotFound(`no volume ${m.name}`);
    return { volumeId, name: m.name, path: m.path, readOnly: m.readOnly };
  });
}

/**
 * Refuses an app state that breaks a single-writer volume (the default, like Kubernetes'
 * ReadWriteOnce): such a volume is mounted by one app, and that app runs at most one instance.
 * Shared volumes may be mounted by several instances and apps (all on the volume's cell).
 */
export async function checkSingleWriter(
  tx: Tx,
  app: { id: string | null; name: string; instances: number },
  mounts: readonly VolumeMount[],
): Promise<void> {
  if (mounts.length === 0) return;
  const ids = mounts.map((m) => m.volumeId);
  const single = await tx
    .select({ id: volumes.id, name: volumes.name })
    .from(volumes)
    .where(and(inArray(volumes.id, ids), eq(volumes.shared, false)));
  if (single.length === 0) return;
  const [first] = single;
  if (first && app.instances > 1) {
    throw new SingleWriterVolume(
      `volume ${first.name} is single-writer (one instance at a time): app ${app.name} cannot run ` +
        `${app.instances} instances while it mounts it; use a volume created --shared to mount one ` +
        "from several instances (on its cell)",
    );
  }
  for (const volume of single) {
    const [other] = await tx
      .select({ name: apps.name })
      .from(apps)
      .where(
        and(
          app.id === null ? undefined : ne(apps.id, app.id),
          sql`${apps.volumes} @> ${JSON.stringify([{ volumeId: volume.id }])}::jsonb`,
        ),
      )
      .limit(1);
    if (other) {
      throw new SingleWriterVolume(
        `volume ${volume.name} is single-writer and app ${other.name} mounts it; ` +
          "one app at a time may mount it (or use a volume created --shared)",
      );
    }
  }
}
