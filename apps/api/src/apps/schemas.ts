import { z } from "@hono/zod-openapi";
import type { AppEventRow, SpacedAppRow } from "../repo/apps";
import { HealthCheckBody, toApiHealthCheck } from "./health-check";

/** App names are DNS labels: they become part of route hostnames. */
export const AppName = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a DNS label: lowercase letters, digits, '-'")
  .openapi({ example: "web" });

/** Path parameter of every `/v1/apps/{name}…` route. */
export const AppNameParam = z.object({ name: AppName.openapi({ param: { name: "name", in: "path" } }) });

/** Query parameter of every `/v1/apps/{name}…` route: app names are unique per space. */
export const AppSpaceQuery = z.object({
  space: AppName.optional().openapi({
    description: "the app's space; without it, the one app of this name in the spaces you see",
  }),
});

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where a volume may be mounted: an absolute path of plain segments, outside the system's and the app's own. */
const MountPath = z
  .string()
  .max(256)
  .regex(/^(\/[A-Za-z0-9._-]+)+$/, "must be an absolute path like /data")
  .refine((path) => !path.split("/").some((segment) => segment === "." || segment === ".."), {
    message: "must not contain . or .. segments",
  })
  .refine(
    (path) => !RESERVED_PATHS.some((reserved) => path === reserved || path.startsWith(`${reserved}/`)),
    {
      message: "must not be in /proc, /sys, /dev, /etc or the app's own /home/vcap/app",
    },
  )
  .openapi({ example: "/data" });
const RESERVED_PATHS = ["/proc", "/sys", "/dev", "/etc", "/home/vcap/app"];

/** A volume of the app's space mounted by every instance. */
export const VolumeMountBody = z
  .object({
    name: z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a volume name"),
    path: MountPath,
    read_only: z.boolean().default(false),
  })
  .strict()
  .openapi("VolumeMount");

const VolumeMounts = z
  .array(VolumeMountBody)
  .max(8)
  .refine((mounts) => new Set(mounts.map((m) => m.path)).size === mounts.length, {
    message: "each volume needs its own path",
  })
  .refine((mounts) => new Set(mounts.map((m) => m.name)).size === mounts.length, {
    message: "a volume is mounted once per app",
  });
/** A registry image to run instead of bits (a docker app), resolved to a digest when pushed. */
export const ImageBody = z
  .object({
    ref: z.string().min(1).max(1024).openapi({
      example: "registry.local:5000/team/api:1.4",
      description: "host[:port]/repo[:tag|@sha256:…]",
    }),
    username: z.string().min(1).max(1024).optional(),
    password: z.string().max(8192).optional(),
  })
  .strict()
  .refine((image) => (image.username === undefined) === (image.password === undefined), {
    message: "registry username and password go together",
  })
  .openapi("AppImageRef", {
    description: "resolved to a digest at every push; credentials are stored sealed and never shown",
  });

const stack = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be a lowercase label");
const fields = {
  stack,
  command: z.string().min(1).max(8192),
  env: z.record(z.string().regex(envName, "must be an environment variable name"), z.string().max(65_536)),
  instances: z.int().min(0).max(10_000),
  memory_mb: z.int().min(1).max(1_048_576),
  disk_mb: z.int().min(1).max(10_485_760),
  ports: z.array(z.int().min(1).max(65535)).max(32),
  health_check: HealthCheckBody,
  volumes: VolumeMounts.openapi({
    description: "volumes of the app's space every instance mounts (single-writer ones: one instance)",
  }),
};

/** Body of `POST /v1/apps`. */
export const CreateAppBody = z
  .object({
    name: AppName,
    space: AppName.default("default").openapi({
      description: "the space the app goes in",
      example: "default",
    }),
    stack: fields.stack.default("busybox"),
    command: fields.command.optional().openapi({
      description: "required without `image`; with one, run through /bin/sh instead of its Entrypoint+Cmd",
    }),
    image: ImageBody.optional(),
    env: fields.env.default({}),
    instances: fields.instances.default(1),
    memory_mb: fields.memory_mb.default(256),
    disk_mb: fields.disk_mb.default(1024),
    ports: fields.ports.optional().openapi({
      description: "default: an image's first exposed port, else 8080",
    }),
    health_check: fields.health_check.default({ type: "port" }),
    volumes: fields.volumes.default([]),
  })
  .strict()
  .refine((body) => body.command !== undefined || body.image !== undefined, {
    message: "an app needs a command, or an image to run",
    path: ["command"],
  })
  .openapi("CreateApp");

/** Body of `PATCH /v1/apps/{name}`: any subset of the settable fields. */
export const UpdateAppBody = z
  .object({ ...fields, image: ImageBody })
  .partial()
  .strict()
  .openapi("UpdateApp");

/** An app as the API shows it. */
export const AppView = z
  .object({
    id: z.string(),
    name: z.string(),
    space: z.string(),
    revision: z.int(),
    state: z.enum(["started", "stopped"]),
    stack: z.string(),
    command: z.string(),
    env: z.record(z.string(), z.string()).optional().openapi({
      description: "the app's environment; omitted for a viewer of the app's space (its values are secrets)",
    }),
    instances: z.int(),
    memory_mb: z.int(),
    disk_mb: z.int(),
    ports: z.array(z.int()),
    health_check: HealthCheckBody,
    volumes: z.array(
      z.object({ name: z.string(), path: z.string(), read_only: z.boolean() }).openapi("AppVolumeMount"),
    ),
    bits_digest: z.string().nullable(),
    image: z
      .object({ ref: z.string(), digest: z.string(), private: z.boolean() })
      .nullable()
      .openapi("AppImage", { description: "a docker app's image and the digest its revision runs" }),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("App");
export type AppView = z.output<typeof AppView>;

/** An app as listed: its view and how many of its instances run its current revision. */
export const AppListItem = AppView.extend({
  running_instances: z.int().openapi({
    description: "its instances RUNNING its current revision (what `instances` asks for, once converged)",
  }),
}).openapi("AppListItem");

/** The whole view of an app; routes show apps through `Access.appView`, which omits env for viewers. */
export function appView(row: SpacedAppRow): AppView {
  return {
    id: row.id,
    name: row.name,
    space: row.spaceName,
    revision: row.revision,
    state: row.state,
    stack: row.stack,
    command: row.command,
    env: row.env,
    instances: row.instances,
    memory_mb: row.memoryMb,
    disk_mb: row.diskMb,
    ports: row.ports,
    health_check: toApiHealthCheck(row.healthCheck),
    volumes: row.volumes.map((m) => ({ name: m.name, path: m.path, read_only: m.readOnly })),
    bits_digest: row.bitsDigest,
    image: row.image
      ? { ref: row.image.ref, digest: row.image.digest, private: row.imageCredentials !== null }
      : null,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

/** One audit event of an app. */
export const AppEventView = z
  .object({
    id: z.int(),
    kind: z.string(),
    actor: z.string(),
    data: z.record(z.string(), z.unknown()),
    at: z.string(),
  })
  .openapi("AppEvent");

export function appEventView(row: AppEventRow): z.output<typeof AppEventView> {
  return { id: row.id, kind: row.kind, actor: row.actor, data: row.data, at: row.at.toISOString() };
}

export const Digest = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>")
  .openapi({ example: `sha256:${"0".repeat(64)}` });

/** Result of a bits upload. */
export const BitsUploadView = z
  .object({ digest: z.string(), size_bytes: z.int(), uploaded: z.boolean(), app: AppView })
  .openapi("BitsUpload");
