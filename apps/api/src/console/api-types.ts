import type { z } from "@hono/zod-openapi";
import type { AppEventView, AppView } from "../apps/schemas";
import type { CellView } from "../routes/cells";
import type { EgressRuleView } from "../routes/egress-rules";
import type { InstanceView } from "../routes/instances";
import type { PolicyView } from "../routes/policies";
import type { SpaceRoleView, SpaceView } from "../routes/spaces";
import type { TenantView } from "../routes/tenants";
import type { TokenListView, TokenView } from "../routes/tokens";
import type { SnapshotView, VolumeView } from "../volumes/schemas";

/** The API's responses as the console reads them: the types of the routes' own response schemas. */
export type App = AppView;
export type AppEvent = z.output<typeof AppEventView>;
export type Space = z.output<typeof SpaceView>;
export type Tenant = z.output<typeof TenantView>;
export type Cell = z.output<typeof CellView>;
export type TokenListing = z.output<typeof TokenListView>;
export type NewToken = z.output<typeof TokenView>;
/** An instance, with its usage as its cell last reported it (null before that). */
export type Instance = z.output<typeof InstanceView>;
/** A developer token's role in a space. */
export type SpaceRole = z.output<typeof SpaceRoleView>;
/** A network policy: a source app may open connections to a destination app's port range. */
export type Policy = z.output<typeof PolicyView>;
/** Where the tenant's (or a space's, or every tenant's) containers may open connections. */
export type EgressRule = z.output<typeof EgressRuleView>;
export type Volume = z.output<typeof VolumeView>;
export type Snapshot = z.output<typeof SnapshotView>;
