import type { ConsoleApi } from "./api-caller";
import type {
  App,
  AppEvent,
  Cell,
  EgressRule,
  Instance,
  Policy,
  Snapshot,
  Space,
  SpaceRole,
  Tenant,
  TokenListing,
  Volume,
} from "./api-types";
import type { QuotaShown } from "./quota-fields";
import type { AppsData } from "./views/apps";
import type { NetworkData } from "./views/network";
import type { OverviewData } from "./views/overview";
import { administers, changesIn, type Viewer } from "./views/viewer";
import type { VolumesData } from "./views/volumes";

/** Apps shown in detail (instances, events) per page load: each costs two API requests. */
export const APPS_SHOWN = 50;
/** Volumes shown (with their snapshots) per page load: each costs an API request. */
export const VOLUMES_SHOWN = 50;
const EVENTS_PER_APP = 10;
const EVENTS_SHOWN = 20;

const at = (name: string) => encodeURIComponent(name);

/** The overview: the tenants (an operator who has not picked one), or the tenant's quota and spaces. */
export async function loadOverview(api: ConsoleApi, viewer: Viewer): Promise<OverviewData> {
  if (!viewer.tenant) return { tenants: await api.all<Tenant>("/v1/tenants") };
  const [quota, spaces, developers] = await Promise.all([
    api.get<QuotaShown>("/v1/quota"),
    api.all<Space>("/v1/spaces"),
    administers(viewer)
      ? loadTokens(api, viewer).then((tokens) => tokens.filter((token) => token.role === "developer"))
      : [],
  ]);
  const shown = await Promise.all(
    spaces.map(async (space) => {
      const [quota, roles] = await Promise.all([
        api.get<QuotaShown>(`/v1/spaces/${at(space.name)}/quota`),
        api.get<{ items: SpaceRole[] }>(`/v1/spaces/${at(space.name)}/roles`),
      ]);
      return { space, quota: quota.body, etag: quota.etag, roles: roles.body.items };
    }),
  );
  return { tenant: { quota: quota.body, etag: quota.etag, spaces: shown, developers } };
}

/** The first `APPS_SHOWN` apps with their instances, and the latest events across them. */
export async function loadApps(api: ConsoleApi): Promise<AppsData> {
  const apps = await api.all<App>("/v1/apps");
  const shown = await Promise.all(
    apps.slice(0, APPS_SHOWN).map(async (app) => {
      const inSpace = `space=${at(app.space)}`;
      const [instances, events] = await Promise.all([
        api.all<Instance>(`/v1/apps/${at(app.name)}/instances?${inSpace}`),
        api.get<{ items: AppEvent[] }>(`/v1/apps/${at(app.name)}/events?${inSpace}&limit=${EVENTS_PER_APP}`),
      ]);
      return { app, instances, events: events.body.items };
    }),
  );
  const events = shown
    .flatMap(({ app, events }) => events.map((event) => ({ app: app.name, space: app.space, event })))
    .sort((a, b) => b.event.at.localeCompare(a.event.at))
    .slice(0, EVENTS_SHOWN);
  return { apps: shown.map(({ app, instances }) => ({ app, instances })), events, total: apps.length };
}

/** The tenant's unrevoked tokens (never their secrets). */
export function loadTokens(api: ConsoleApi, viewer: Viewer): Promise<TokenListing[]> {
  return api.all<TokenListing>(`/v1/tokens?tenant=${at(viewer.tenant ?? "")}`);
}

/** Every cell (the API refuses anyone but operators). */
export function loadCells(api: ConsoleApi): Promise<Cell[]> {
  return api.all<Cell>("/v1/cells");
}

/** The tenant's spaces by name, and those of them the viewer may change things in. */
async function spacesOf(
  api: ConsoleApi,
  viewer: Viewer,
): Promise<{ spaces: string[]; changes: Set<string> }> {
  const spaces = await api.all<Space>("/v1/spaces");
  return {
    spaces: spaces.map((space) => space.name),
    changes: new Set(spaces.filter((space) => changesIn(viewer, space.id)).map((space) => space.name)),
  };
}

/** Policies, egress rules, and the apps and spaces the page's forms choose from. */
export async function loadNetwork(api: ConsoleApi, viewer: Viewer): Promise<NetworkData> {
  const [policies, egress, apps, spaces] = await Promise.all([
    api.all<Policy>("/v1/policies"),
    api.all<EgressRule>("/v1/egress-rules"),
    api.all<App>("/v1/apps"),
    spacesOf(api, viewer),
  ]);
  return { policies, egress, apps: apps.map(({ space, name }) => ({ space, name })), ...spaces };
}

/** The first `VOLUMES_SHOWN` volumes with the apps mounting each (from the apps' own mounts) and their snapshots. */
export async function loadVolumes(api: ConsoleApi, viewer: Viewer): Promise<VolumesData> {
  const [volumes, apps, spaces] = await Promise.all([
    api.all<Volume>("/v1/volumes"),
    api.all<App>("/v1/apps"),
    spacesOf(api, viewer),
  ]);
  const usersOf = (volume: Volume) =>
    apps.flatMap((app) =>
      app.space === volume.space
        ? app.volumes
            .filter((mount) => mount.name === volume.name)
            .map((mount) => `${app.name} at ${mount.path}${mount.read_only ? " (read-only)" : ""}`)
        : [],
    );
  const shown = await Promise.all(
    volumes.slice(0, VOLUMES_SHOWN).map(async (volume) => ({
      volume,
      usedBy: usersOf(volume),
      snapshots: await api.all<Snapshot>(`/v1/volumes/${at(volume.name)}/snapshots`),
    })),
  );
  return { volumes: shown, total: volumes.length, changes: spaces.changes };
}
