export {
  type BuiltStack,
  busyboxStackVersion,
  DEFAULT_BUSYBOX,
  ensureBusyboxStack,
  VCAP_ID,
} from "./busybox-stack";
export {
  checkScratch,
  MIN_DISK_LIMIT_BYTES,
  mountLimitedScratch,
  releaseLimitedScratch,
  remountLimitedScratch,
  type ScratchFormat,
} from "./disk-limit";
export { parseDockerUri, type RegistryRef } from "./docker-uri";
export * from "./errors";
export { type Collected, createImages, type Images, type ImagesOptions, type RootfsRecord } from "./images";
export { silentLogger } from "./logger";
export { isMountPoint, loopDevicesFor } from "./mounts";
export { ensureNodeLayer, type NodeLayer } from "./node-layer";
export { parseOciUri } from "./oci-layout";
export type { ImageRunConfig } from "./oci-manifest";
export { type InspectedImage, inspectRegistryImage } from "./registry-pull";
export { shiftedLayer, shiftOwnership } from "./shift";
export { DigestMismatch, type ExtractOptions, type ExtractResult, extractTar } from "./tar-extract";
export { packTar } from "./tar-pack";
export { treeUsage } from "./tree-walk";
export type * from "./types";
