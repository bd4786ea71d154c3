import type { BindMount, ContainerSpec, ImageRef } from "@grove/garden";
import { z } from "zod";
import { MalformedRequest } from "../errors";
import { describeIssues, goSlice, goStruct, int64, stringMap, uint8 } from "./go-json";
import { limitsFromWire, wireLimits } from "./limits";
import { netInFromWire, netOutRuleFromWire, wireNetIn, wireNetOutRule } from "./net";

export const wireImageRef = goStruct({ uri: z.string(), username: z.string(), password: z.string() });
export const wireBindMount = goStruct({
  src_path: z.string(),
  dst_path: z.string(),
  mode: uint8.max(1, "mode must be 0 (ro) or 1 (rw)"),
  origin: uint8.max(1, "origin must be 0 (host) or 1 (container)"),
});

/** garden.ContainerSpec on the wire */
export const wireContainerSpec = goStruct({
  handle: z.string(),
  grace_time: int64,
  rootfs: z.string(),
  image: wireImageRef,
  bind_mounts: goSlice(wireBindMount),
  network: z.string(),
  properties: stringMap,
  env: goSlice(z.string()),
  privileged: z.boolean(),
  limits: wireLimits,
  netout_rules: goSlice(wireNetOutRule),
  netin: goSlice(wireNetIn),
});

export function imageRefFromWire(wire: z.infer<typeof wireImageRef> | undefined): ImageRef | undefined {
  if (!wire?.uri) return undefined;
  const image: ImageRef = { uri: wire.uri };
  if (wire.username) image.username = wire.username;
  if (wire.password) image.password = wire.password;
  return image;
}

export function bindMountFromWire(wire: z.infer<typeof wireBindMount>): BindMount {
  if (!wire.src_path || !wire.dst_path) {
    throw new MalformedRequest("invalid bind mount: src_path and dst_path are required");
  }
  return {
    srcPath: wire.src_path,
    dstPath: wire.dst_path,
    mode: wire.mode === 1 ? "rw" : "ro",
    origin: wire.origin === 1 ? "container" : "host",
  };
}

/** Reads a ContainerSpec body; Go's zero values become absent fields. */
export function containerSpecFromWire(body: unknown): ContainerSpec {
  const parsed = wireContainerSpec.safeParse(body);
  if (!parsed.success) throw new MalformedRequest(describeIssues("ContainerSpec", parsed.error));
  const wire = parsed.data;
  if (wire.rootfs && wire.image?.uri) {
    throw new MalformedRequest("Cannot provide both Image.URI and RootFSPath");
  }
  const spec: ContainerSpec = {};
  if (wire.handle) spec.handle = wire.handle;
  if (wire.grace_time) spec.graceTimeNs = wire.grace_time;
  const image = imageRefFromWire(wire.rootfs ? { uri: wire.rootfs } : wire.image);
  if (image) spec.image = image;
  if (wire.bind_mounts?.length) spec.bindMounts = wire.bind_mounts.map(bindMountFromWire);
  if (wire.network) spec.network = wire.network;
  if (wire.properties && Object.keys(wire.properties).length > 0) spec.properties = wire.properties;
  if (wire.env?.length) spec.env = wire.env;
  if (wire.privileged) spec.privileged = true;
  const limits = limitsFromWire(wire.limits);
  if (limits) spec.limits = limits;
  if (wire.netout_rules?.length) spec.netOut = wire.netout_rules.map(netOutRuleFromWire);
  if (wire.netin?.length) spec.netIn = wire.netin.map(netInFromWire);
  return spec;
}
