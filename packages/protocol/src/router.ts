import { z } from "zod";
import { defineMessage } from "./message";

const routerPort = z.int().min(0).max(65535);

/**
 * Cloud Foundry gorouter's route registry message, on `router.register` and `router.unregister`.
 * Field names are gorouter's, so the same messages drive Grove's router and a gorouter; it is not
 * versioned with `v` because its format is not ours. Unknown fields are kept (gorouter ignores them).
 * A gorouter prefers `tls_port` over `port` when both are set; `port: 0` is allowed for TLS-only.
 */
export const RouteRegistration = defineMessage(
  "router.registration",
  z.looseObject({
    host: z.string().min(1).max(253),
    port: routerPort,
    tls_port: routerPort.optional(),
    uris: z.array(z.string().min(1).max(1024)).min(1).max(1000),
    app: z.string().max(256).optional(),
    private_instance_id: z.string().max(256).optional(),
    private_instance_index: z.string().max(16).optional(),
    tags: z.record(z.string(), z.string()).optional(),
    stale_threshold_in_seconds: z.int().nonnegative().optional(),
    route_service_url: z.string().startsWith("https").max(2048).optional(),
    server_cert_domain_san: z.string().max(253).optional(),
    isolation_segment: z.string().max(256).optional(),
    endpoint_updated_at_ns: z.int().nonnegative().optional(),
    http_version: z.int().min(0).max(2).optional(),
  }),
  { versioned: false },
);
export type RouteRegistration = z.output<typeof RouteRegistration.schema>;

/**
 * gorouter's start message, published on `router.start` and sent as the reply to `router.greet`:
 * route emitters re-register at least every `minimumRegisterIntervalInSeconds`, and routes not
 * re-registered within `pruneThresholdInSeconds` are dropped.
 */
export const RouterStart = defineMessage(
  "router.start",
  z.looseObject({
    id: z.string().max(256),
    hosts: z.array(z.string().max(253)).max(64).default([]),
    minimumRegisterIntervalInSeconds: z.int().positive(),
    pruneThresholdInSeconds: z.int().positive(),
  }),
  { versioned: false },
);
export type RouterStart = z.output<typeof RouterStart.schema>;

/** Route timers from DESIGN.md (gorouter's defaults): register every 20 s, prune after 120 s. */
export const ROUTE_REGISTER_INTERVAL_SECONDS = 20;
export const ROUTE_PRUNE_THRESHOLD_SECONDS = 120;
