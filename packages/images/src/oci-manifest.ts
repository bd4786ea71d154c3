import { InvalidImage } from "./errors";

export const MEDIA_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

/** Accept header for manifests: all four types, or a registry may answer with something older. */
export const MANIFEST_ACCEPT = Object.values(MEDIA_TYPES).join(", ");

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: { architecture?: string; os?: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

/** Config defaults an image carries for its processes. */
export interface ImageDefaults {
  env?: string[];
  workingDir?: string;
  user?: string;
}

/** What an image says about running it: its defaults plus Entrypoint, Cmd and ExposedPorts. */
export interface ImageRunConfig extends ImageDefaults {
  entrypoint: string[];
  cmd: string[];
  /** TCP ports, in the config's order */
  exposedPorts: number[];
}

export const REF_NAME_ANNOTATION = "org.opencontainers.image.ref.name";

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDescriptor(value: unknown): value is Descriptor {
  return typeof value === "object" && value !== null && DIGEST.test(String((value as Descriptor).digest));
}

/** Whether a manifest document (by its media type, or shape when untyped) is an index of manifests. */
export function isIndex(doc: unknown, mediaType?: string): boolean {
  const type = mediaType || (doc as { mediaType?: string }).mediaType;
  if (type === MEDIA_TYPES.ociIndex || type === MEDIA_TYPES.dockerList) return true;
  if (type === MEDIA_TYPES.ociManifest || type === MEDIA_TYPES.dockerManifest) return false;
  return Array.isArray((doc as { manifests?: unknown }).manifests);
}

/** The linux/amd64 entry of an index (an entry without a platform counts as a match of last resort). */
export function pickPlatform(uri: string, index: unknown): Descriptor {
  const manifests = (index as { manifests?: unknown }).manifests;
  if (!Array.isArray(manifests)) throw new InvalidImage(uri, "index has no manifests");
  const valid = manifests.filter(isDescriptor);
  const match = valid.find((d) => d.platform?.os === "linux" && d.platform?.architecture === "amd64");
  const fallback = valid.find((d) => d.platform === undefined);
  const chosen = match ?? fallback;
  if (!chosen) throw new InvalidImage(uri, "no linux/amd64 image in the index");
  return chosen;
}

export function parseManifest(uri: string, doc: unknown): ImageManifest {
  const m = doc as { schemaVersion?: number; config?: unknown; layers?: unknown };
  if (m.schemaVersion !== 2)
    throw new InvalidImage(uri, "only schema 2 (OCI or Docker v2) manifests are supported");
  if (!isDescriptor(m.config)) throw new InvalidImage(uri, "manifest has no valid config descriptor");
  if (!Array.isArray(m.layers) || !m.layers.every(isDescriptor)) {
    throw new InvalidImage(uri, "manifest layers are not valid descriptors");
  }
  for (const layer of m.layers) {
    if (layer.mediaType?.includes("foreign") || Array.isArray((layer as { urls?: unknown }).urls)) {
      throw new InvalidImage(
        uri,
        `foreign layer ${layer.digest} (${layer.mediaType ?? "with urls"}) is not supported: only layers the registry itself serves can be pulled`,
      );
    }
  }
  return { config: m.config, layers: m.layers };
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];

/** Entrypoint, Cmd, ExposedPorts (tcp only) and the defaults of an image config document. */
export function imageRunConfig(config: unknown): ImageRunConfig {
  const c =
    (config as { config?: { Entrypoint?: unknown; Cmd?: unknown; ExposedPorts?: unknown } }).config ?? {};
  const exposedPorts: number[] = [];
  if (typeof c.ExposedPorts === "object" && c.ExposedPorts !== null) {
    for (const key of Object.keys(c.ExposedPorts)) {
      const m = /^(\d+)(?:\/tcp)?$/.exec(key);
      const port = m ? Number(m[1]) : 0;
      if (port >= 1 && port <= 65535) exposedPorts.push(port);
    }
  }
  return {
    ...imageDefaults(config),
    entrypoint: strings(c.Entrypoint),
    cmd: strings(c.Cmd),
    exposedPorts,
  };
}

export function imageDefaults(config: unknown): ImageDefaults {
  const c = (config as { config?: { Env?: unknown; WorkingDir?: unknown; User?: unknown } }).config ?? {};
  const defaults: ImageDefaults = {};
  if (Array.isArray(c.Env)) defaults.env = c.Env.filter((e): e is string => typeof e === "string");
  if (typeof c.WorkingDir === "string" && c.WorkingDir !== "") defaults.workingDir = c.WorkingDir;
  if (typeof c.User === "string" && c.User !== "") defaults.user = c.User;
  return defaults;
}
