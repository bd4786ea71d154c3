import { UsageError } from "./errors";

/** A volume mount as the API takes it. */
export interface VolumeMountFlag {
  name: string;
  path: string;
  read_only: boolean;
}

/**
 * Parses `--volume NAME:/PATH[:ro|:rw]` (the API checks the rest: that the volume exists in the
 * app's space, that the path is allowed).
 *
 * @example
 * parseVolumeFlag("uploads:/data:ro") // { name: "uploads", path: "/data", read_only: true }
 */
export function parseVolumeFlag(text: string): VolumeMountFlag {
  const match = /^([a-z0-9][a-z0-9-]*):(\/[^:]*)(?::(ro|rw))?$/.exec(text);
  if (!match) throw new UsageError(`invalid --volume "${text}": use NAME:/PATH or NAME:/PATH:ro`);
  return { name: match[1] as string, path: match[2] as string, read_only: match[3] === "ro" };
}

/** `uploads:/data:ro`, as `--volume` takes it. */
export function formatVolumeMount(mount: VolumeMountFlag): string {
  return `${mount.name}:${mount.path}${mount.read_only ? ":ro" : ""}`;
}
