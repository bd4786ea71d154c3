import type { components, paths } from "./openapi";

type Schemas = components["schemas"];

/** An app's desired state as the API shows it. */
export type App = Schemas["App"];
/** An app as `listApps` gives it: with how many of its instances run its current revision. */
export type AppListItem = Schemas["AppListItem"];
/** Body of an app create. */
export type CreateApp = Schemas["CreateApp"];
/** Body of an app update: any subset of the settable fields. */
export type UpdateApp = Schemas["UpdateApp"];
/** One of an app's audit events. */
export type AppEvent = Schemas["AppEvent"];
/** One running (or not) instance of an app. */
export type Instance = Schemas["Instance"];
/** How an app's instances are checked for health. */
export type HealthCheck = Schemas["HealthCheck"];
/** The result of a bits upload. */
export type BitsUpload = Schemas["BitsUpload"];
/** A host running a Grove agent. */
export type Cell = Schemas["Cell"];
/** A tenant. */
export type Tenant = Schemas["Tenant"];
/** A tenant's quota: each limit (null = unlimited) beside its usage (null = not counted). */
export type Quota = Schemas["Quota"];
/** Body of a quota change: null = unlimited, absent = unchanged. */
export type QuotaChanges = Schemas["QuotaChanges"];
/** A space inside a tenant. */
export type Space = Schemas["Space"];
/** A developer token's role in a space. */
export type SpaceRole = Schemas["SpaceRole"];
/** A network policy: the source app's instances may connect to these ports of the destination's. */
export type Policy = Schemas["Policy"];
export type CreatePolicy = Schemas["CreatePolicy"];
/** An egress rule: where a tenant's (or space's, or with scope platform every) containers may connect. */
export type EgressRule = Schemas["EgressRule"];
export type CreateEgressRule = Schemas["CreateEgressRule"];
/** Body of a token create. */
export type CreateToken = Schemas["CreateToken"];
/** A newly issued API token (its secret is shown once). */
export type Token = Schemas["Token"];
/** An API token as listed: name, role, tenant, dates; never its secret. */
export type TokenListing = Schemas["TokenListing"];
/** A tenant's volume: size, sharing, and the cell its data lives on (null until first mounted). */
export type Volume = Schemas["Volume"];
/** Body of a volume create. */
export type CreateVolume = Schemas["CreateVolume"];
export type VolumeSnapshot = Schemas["VolumeSnapshot"];
export type CreateSnapshot = Schemas["CreateSnapshot"];
/** An RFC 9457 problem document, as every error response carries. */
export type Problem = Schemas["Problem"];
/** Bits the tenant has uploaded. */
export type Bits = paths["/v1/bits/{digest}"]["get"]["responses"][200]["content"]["application/json"];
/** A cell join token (its secret is shown once). */
export type JoinToken = Schemas["JoinToken"];
/** A join token as listed: uses, expiry and state; never its secret. */
export type JoinTokenListing = Schemas["JoinTokenListing"];

/**
 * One log line of `GET /v1/apps/{name}/logs`, the JSON `data` of each SSE `log` event. The
 * OpenAPI document types the stream only as text, so this shape is declared here.
 */
export interface LogEntry {
  seq: number;
  instance_id: string;
  index: number;
  stream: "stdout" | "stderr";
  line: string;
  at: string;
}

/** A page of a list route. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Body of an exec start: the command (argv), and a terminal size to run it under a TTY. */
export type CreateExec = Schemas["ExecCreate"];
/** A started exec. */
export type Exec = Schemas["Exec"];
/** Signals an exec'd process can get; `interrupt` is Ctrl-C. */
export type ExecSignal = "interrupt" | "terminate" | "kill";

/** One event of `GET /v1/execs/{id}/output`: a chunk of output (bytes), or the exit code, last. */
export type ExecEvent =
  | { type: "output"; stream: "stdout" | "stderr"; data: Uint8Array }
  | { type: "exit"; exitCode: number };
