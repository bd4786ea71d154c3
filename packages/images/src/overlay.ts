import { mkdir } from "node:fs/promises";
import { InvalidImage } from "./errors";
import { isMountPoint } from "./mounts";
import { run } from "./run";

export interface OverlaySpec {
  /** lowest first, as the caller thinks of layers */
  lowerDirs: string[];
  upperDir: string;
  workDir: string;
  target: string;
}

/** Characters the mount(2) option string cannot carry in a path. */
const UNSAFE_PATH = /[,:\\\s]/;

/** Mounts the overlay at `target` (nosuid) unless something is already mounted there. */
export async function mountOverlay(spec: OverlaySpec): Promise<void> {
  for (const dir of [...spec.lowerDirs, spec.upperDir, spec.workDir]) {
    if (UNSAFE_PATH.test(dir))
      throw new InvalidImage(dir, "layer paths may not contain ',', ':', '\\' or spaces");
  }
  await mkdir(spec.target, { recursive: true });
  if (await isMountPoint(spec.target)) return;
  // overlayfs lists lower dirs top-most first.
  const lowers = [...spec.lowerDirs].reverse().join(":");
  // nosuid: no file of an image, a stack or app bits gains privileges by its mode bits
  const options = `nosuid,lowerdir=${lowers},upperdir=${spec.upperDir},workdir=${spec.workDir}`;
  await run(
    "mount overlay",
    "mount",
    ["-t", "overlay", "overlay", "-o", options, spec.target],
    "Check that overlayfs is available (modprobe overlay) and that the image store is not itself on overlayfs.",
  );
}
