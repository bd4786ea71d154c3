import type { z } from "@hono/zod-openapi";
import type { AppEventView, AppView } from "../apps/schemas";
import type { CellView } from "../routes/cells";
import type { InstanceView } from "../routes/instances";
import type { SpaceRoleView, SpaceView } from "../routes/spaces";
import type { TenantView } from "../routes/tenants";
import type { TokenListView, TokenView } from "../routes/tokens";

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
