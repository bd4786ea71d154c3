import type { ProcessSpec, Rlimits, WindowSize } from "@grove/garden";
import { z } from "zod";
import { MalformedRequest } from "../errors";
import { bindMountFromWire, imageRefFromWire, wireBindMount, wireImageRef } from "./container-spec";
import { describeIssues, goSlice, goStruct, uint16, uint64 } from "./go-json";
import { limitsFromWire, wireProcessLimits } from "./limits";

const rlimitNames = [
  "as",
  "core",
  "cpu",
  "data",
  "fsize",
  "locks",
  "memlock",
  "msgqueue",
  "nice",
  "nofile",
  "nproc",
  "rss",
  "rtprio",
  "sigpending",
  "stack",
] as const;

export const wireRlimits = goStruct(Object.fromEntries(rlimitNames.map((name) => [name, uint64])));
export const wireWindowSize = goStruct({ columns: uint16, rows: uint16 });
export const wireTTYSpec = goStruct({ window_size: wireWindowSize });

/** garden.ProcessSpec on the wire */
export const wireProcessSpec = goStruct({
  id: z.string(),
  path: z.string(),
  args: goSlice(z.string()),
  env: goSlice(z.string()),
  dir: z.string(),
  user: z.string(),
  rlimits: wireRlimits,
  limits: wireProcessLimits,
  tty: wireTTYSpec,
  image: wireImageRef,
  bind_mounts: goSlice(wireBindMount),
});

export function windowSizeFromWire(wire: z.infer<typeof wireWindowSize> | undefined): WindowSize | undefined {
  if (!wire) return undefined;
  return { columns: wire.columns ?? 0, rows: wire.rows ?? 0 };
}

export function processSpecFromWire(body: unknown): ProcessSpec {
  const parsed = wireProcessSpec.safeParse(body);
  if (!parsed.success) throw new MalformedRequest(describeIssues("ProcessSpec", parsed.error));
  const wire = parsed.data;
  if (!wire.path) throw new MalformedRequest("invalid ProcessSpec: path is required");
  const spec: ProcessSpec = { path: wire.path };
  if (wire.id) spec.id = wire.id;
  if (wire.args?.length) spec.args = wire.args;
  if (wire.env?.length) spec.env = wire.env;
  if (wire.dir) spec.dir = wire.dir;
  if (wire.user) spec.user = wire.user;
  // rlimits are pointers in Go: an explicit 0 is a real limit, so keep every key that was sent.
  const rlimits = wire.rlimits as Rlimits | undefined;
  if (rlimits && Object.keys(rlimits).length > 0) spec.rlimits = rlimits;
  const limits = limitsFromWire(wire.limits);
  if (limits) spec.limits = limits;
  if (wire.tty) {
    const windowSize = windowSizeFromWire(wire.tty.window_size);
    spec.tty = windowSize ? { windowSize } : {};
  }
  const image = imageRefFromWire(wire.image);
  if (image) spec.image = image;
  if (wire.bind_mounts?.length) spec.bindMounts = wire.bind_mounts.map(bindMountFromWire);
  return spec;
}
