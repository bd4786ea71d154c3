/**
 * Shapes shared with the runtime. @grove/images imports nothing of Grove, so these are structural
 * copies of the `Volumizer` seam in @grove/garden (src/seams.ts, src/types.ts); keep them in step.
 */

/** Which root filesystem a container starts from. */
export interface ImageRef {
  /** "" = default stack; a rootfs dir or tarball path; docker://host:port/repo#tag; oci:///layout#tag */
  uri: string;
  username?: string;
  password?: string;
}

/** How far a registry pull is: bytes of its blobs on disk (cached ones included) of their total. */
export interface PullProgress {
  bytes: number;
  total: number;
}

/** Container root mapped to host uid/gid `hostId` for `size` ids; null = privileged (no user namespace). */
export type UidMapping = { hostId: number; size: number } | null;

export interface RootfsRequest {
  handle: string;
  image: ImageRef;
  /** read-only directories stacked on top of the image, lowest first (e.g. app bits); treated as immutable */
  layers?: string[];
  uidMapping: UidMapping;
  /** hard limit on the container's disk, in bytes (ENOSPC past it) */
  diskLimitBytes?: number;
  /**
   * What the limit counts, as Garden's DiskLimitScope: "total" the image's layers and what the
   * container writes, so the writable layer gets the limit less the image; "exclusive" (the
   * default here; Garden's runtime always says which) only what the container writes.
   */
  diskLimitScope?: "total" | "exclusive";
}

export interface RootfsInfo {
  /** mounted rootfs directory to put in config.json root.path */
  path: string;
  /** image config defaults (OCI images): "KEY=value" */
  env?: string[];
  /** image config working directory (OCI images) */
  workingDir?: string;
  /** image config user (OCI images), e.g. "1000:1000" or "app" */
  user?: string;
}

export interface WritableLayerUsage {
  bytesUsed: number;
  inodesUsed: number;
}

/** A container's disk use: its writable layer, and its image's read-only layers beneath. */
export interface RootfsUsage extends WritableLayerUsage {
  /** the image's layers as measured when the rootfs was made (zero for rootfs made before that) */
  image: WritableLayerUsage;
}

/** Structurally the runtime's `Volumizer` seam. */
export interface Volumizer {
  create(req: RootfsRequest): Promise<RootfsInfo>;
  destroy(handle: string): Promise<void>;
  metrics(handle: string): Promise<RootfsUsage>;
}

/** The subset of a pino logger this package uses (a pino logger fits as is). */
export interface ImagesLogger {
  child(bindings: Record<string, unknown>): ImagesLogger;
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}
