import { z } from "@hono/zod-openapi";
import type { QuotaLimitChanges, QuotaRow } from "../repo/quotas";
import type { Usage } from "./check";

const limit = z.int().min(0).max(2_147_483_647).nullable();

/** Body of a quota change (tenant or space): limits to change; null = unlimited, absent = unchanged. */
export const QuotaChangesBody = z
  .object({
    memory_mb: limit.openapi({ description: "total memory of started instances, MB" }),
    instance_memory_mb: limit.openapi({ description: "memory per instance, MB" }),
    instances: limit.openapi({ description: "instances of started apps" }),
    apps: limit.openapi({ description: "apps, started or stopped" }),
    disk_mb: limit.openapi({ description: "total disk of started instances, MB" }),
    routes: limit.openapi({
      description: "routes: each app has its default route, started or stopped",
    }),
    log_lines_per_second: limit.openapi({
      description: "per instance; agents drop the excess (set when an instance starts)",
    }),
    volumes: limit.openapi({ description: "volumes, mounted or not" }),
    volume_mb: limit.openapi({ description: "total size of the volumes, MB" }),
  })
  .partial()
  .strict()
  .openapi("QuotaChanges");

const field = (description: string) =>
  z
    .object({
      limit: z.int().nullable().openapi({ description: "null = unlimited" }),
      usage: z.int().nullable().openapi({ description: "null when not counted" }),
    })
    .openapi({ description });

/** A tenant's or a space's quota: each limit beside its current usage. */
export const QuotaView = z
  .object({
    tenant: z.string(),
    space: z.string().optional().openapi({ description: "set for a space's quota" }),
    memory_mb: field("total memory of started instances, MB"),
    instance_memory_mb: field("memory per instance, MB (usage: the largest in use)"),
    instances: field("instances of started apps"),
    apps: field("apps, started or stopped"),
    disk_mb: field("total disk of started instances, MB"),
    routes: field("routes: each app has its default route, started or stopped"),
    log_lines_per_second: field("per instance, enforced by agents; usage not counted"),
    volumes: field("volumes, mounted or not"),
    volume_mb: field("total size of the volumes, MB"),
    updated_at: z.string().nullable(),
  })
  .openapi("Quota");

export function quotaView(
  owner: { tenant: string; space?: string },
  quota: QuotaRow,
  usage: Usage,
): z.output<typeof QuotaView> {
  return {
    ...owner,
    memory_mb: { limit: quota.memoryMb, usage: usage.memoryMb },
    instance_memory_mb: { limit: quota.instanceMemoryMb, usage: usage.instanceMemoryMb },
    instances: { limit: quota.instances, usage: usage.instances },
    apps: { limit: quota.apps, usage: usage.apps },
    disk_mb: { limit: quota.diskMb, usage: usage.diskMb },
    routes: { limit: quota.routes, usage: usage.routes },
    log_lines_per_second: { limit: quota.logLinesPerSecond, usage: null },
    volumes: { limit: quota.volumes, usage: usage.volumes },
    volume_mb: { limit: quota.volumeMb, usage: usage.volumeMb },
    updated_at: quota.version === 0 ? null : quota.updatedAt.toISOString(),
  };
}

export function toLimitChanges(body: z.output<typeof QuotaChangesBody>): QuotaLimitChanges {
  return {
    memoryMb: body.memory_mb,
    instanceMemoryMb: body.instance_memory_mb,
    instances: body.instances,
    apps: body.apps,
    diskMb: body.disk_mb,
    routes: body.routes,
    logLinesPerSecond: body.log_lines_per_second,
    volumes: body.volumes,
    volumeMb: body.volume_mb,
  };
}
