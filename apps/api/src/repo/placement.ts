import type { AppImage, Database } from "@grove/db";
import { HealthCheck } from "@grove/protocol";
import type { CellSnapshot } from "@grove/scheduler";
import { sql } from "drizzle-orm";
import { isUuid, uuidArray } from "../ids";
import type { Tx } from "./tx";

/*
 * Cluster-wide queries of the leader's placement loop. Unlike the request path, these span all
 * tenants on purpose: placement is one decision over every cell. Nothing here is reachable from
 * an HTTP handler.
 */

/** A volume an instance mounts, and the cell holding its data (null until placement claims one). */
export interface PlacedVolume {
  id: string;
  name: string;
  cellId: string | null;
  /** `moving` with a cell: its data is still to be copied off that (draining) cell */
  state: "ready" | "moving" | "restoring";
}

/** One unplaced instance with what placement needs to know about it. */
export interface UnplacedInstance {
  instanceId: string;
  appId: string;
  index: number;
  memoryMb: number;
  diskMb: number;
  stack: string;
  volumes: PlacedVolume[];
}

export async function unplacedInstances(db: Database): Promise<UnplacedInstance[]> {
  const rows = await db.execute<{
    instance_id: string;
    app_id: string;
    index: number;
    memory_mb: number;
    disk_mb: number;
    stack: string;
    volumes: PlacedVolume[];
  }>(sql`
    select x.id as instance_id, x.app_id, x.index, a.memory_mb, a.disk_mb, a.stack,
      (select coalesce(jsonb_agg(jsonb_build_object('id', v.id, 'name', v.name, 'cellId', v.cell_id, 'state', v.state)), '[]'::jsonb)
        from app_revisions r cross join lateral jsonb_array_elements(r.volumes) m
        join volumes v on v.id = (m->>'volumeId')::uuid
        where r.app_id = x.app_id and r.revision = x.revision) as volumes
    from instances x join apps a on a.id = x.app_id
    where x.state = 'UNPLACED' and a.state = 'started'
    order by x.created_at, x.index`);
  return [...rows].map((r) => ({
    instanceId: r.instance_id,
    appId: r.app_id,
    index: r.index,
    memoryMb: r.memory_mb,
    diskMb: r.disk_mb,
    stack: r.stack,
    volumes: r.volumes,
  }));
}

/** What placing a new instance of an app needs, as of the app's current revision. */
export interface NewInstanceSpec {
  revision: number;
  memoryMb: number;
  diskMb: number;
  stack: string;
  /** whether the revision mounts volumes (such instances are written unplaced and placed from the table) */
  mounts: boolean;
  /** whether the revision has what a start needs (bits or an image) */
  startable: boolean;
}

/** `NewInstanceSpec` of each of `appIds` that exists and is started, in one statement. */
export async function newInstanceSpecs(
  db: Database,
  appIds: readonly string[],
): Promise<Map<string, NewInstanceSpec>> {
  if (appIds.length === 0) return new Map();
  const rows = await db.execute<{
    id: string;
    revision: number;
    memory_mb: number;
    disk_mb: number;
    stack: string;
    mounts: boolean;
    startable: boolean;
  }>(sql`
    select a.id, a.revision, a.memory_mb, a.disk_mb, a.stack, r.volumes <> '[]'::jsonb as mounts,
      r.bits_digest is not null or r.image is not null as startable
    from apps a join app_revisions r on r.app_id = a.id and r.revision = a.revision
    where a.id = any(${uuidArray(appIds)}::uuid[]) and a.state = 'started'`);
  return new Map(
    [...rows].map((r) => [
      r.id,
      {
        revision: r.revision,
        memoryMb: r.memory_mb,
        diskMb: r.disk_mb,
        stack: r.stack,
        mounts: r.mounts,
        startable: r.startable,
      },
    ]),
  );
}

/** A new instance with where placement put it (`cellId`) or why it could not (`reason`). */
export interface PlacedNewInstance {
  id: string;
  tenantId: string;
  appId: string;
  index: number;
  revision: number;
  crashCount: number;
  cellId: string | null;
  reason: string | null;
  /**
   * the leader sends its start from memory (`startsOf`): written as sent now, so a claim takes it
   * only once the resend time has passed without news of it (say, the leader died first)
   */
  handedOff?: boolean;
}

/**
 * Writes new instances already placed (PLACED on their cell) or not (UNPLACED with the scheduler's
 * reason), in one statement: each row is written once, not inserted, read back and updated.
 */
export async function insertPlacedInstances(
  db: Database | Tx,
  rows: readonly PlacedNewInstance[],
): Promise<void> {
  if (rows.length === 0) return;
  // one parameter however many rows (a statement of thousands of bound values is slow to build)
  await db.execute(sql`
    insert into instances (id, tenant_id, app_id, index, revision, crash_count, cell_id, state, reason,
      command_sent_at)
    select p.id, p."tenantId", p."appId", p.index, p.revision, p."crashCount", p."cellId",
      case when p."cellId" is null then 'UNPLACED' else 'PLACED' end::instance_state, p.reason,
      case when p."handedOff" and p."cellId" is not null then now() end
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as p(id uuid, "tenantId" uuid, "appId" uuid, index int, revision int, "crashCount" int,
        "cellId" uuid, reason text, "handedOff" boolean)`);
}

/**
 * Records the cells placement chose for volumes that had none (each only if still without one), so
 * every later instance mounting them goes to the same cell, whose agent makes them on first start.
 */
export async function claimVolumeCells(
  db: Database,
  claims: readonly { volumeId: string; cellId: string }[],
): Promise<void> {
  if (claims.length === 0) return;
  await db.execute(sql`
    update volumes v set cell_id = p."cellId"
    from jsonb_to_recordset(${JSON.stringify(claims)}::jsonb) as p("volumeId" uuid, "cellId" uuid)
    where v.id = p."volumeId" and v.cell_id is null`);
}

/** Cell names by id, for reasons people read. */
export async function cellNames(db: Database): Promise<Map<string, string>> {
  const rows = await db.execute<{ id: string; name: string }>(sql`select id, name from cells`);
  return new Map([...rows].map((r) => [r.id, r.name]));
}

/** What the instances on one cell take (PLACED, STARTING, RUNNING or CRASHED ones). */
export interface CellUsage {
  memoryMb: number;
  diskMb: number;
  containers: number;
  /** instances of each app, by app id */
  apps: Record<string, number>;
}

/** Every cell as placement sees it, with its usage as `usage` gives it (none when absent). */
export async function cellSnapshots(
  db: Database,
  usage: ReadonlyMap<string, CellUsage>,
): Promise<CellSnapshot[]> {
  const rows = await db.execute<{
    id: string;
    zone: string;
    state: "active" | "draining" | "lost";
    memory_mb: number;
    disk_mb: number;
    max_containers: number;
    tags: string[];
    stacks: string[];
  }>(sql`select id, zone, state, memory_mb, disk_mb, max_containers, tags, stacks from cells`);
  return [...rows].map((r) => {
    const used = usage.get(r.id);
    return {
      id: r.id,
      zone: r.zone,
      state: r.state,
      capacity: { memoryMb: r.memory_mb, diskMb: r.disk_mb, containers: r.max_containers },
      used: { memoryMb: used?.memoryMb ?? 0, diskMb: used?.diskMb ?? 0, containers: used?.containers ?? 0 },
      tags: r.tags,
      stacks: r.stacks,
      appInstances: used?.apps ?? {},
    };
  });
}

/** Assigns unplaced instances to cells in one statement (each only if still unplaced); returns how many. */
export async function assignInstances(
  db: Database | Tx,
  placements: readonly { instanceId: string; cellId: string }[],
): Promise<number> {
  if (placements.length === 0) return 0;
  const rows = await db.execute(sql`
    update instances x set cell_id = p."cellId", state = 'PLACED', reason = null, since = now()
    from jsonb_to_recordset(${JSON.stringify(placements)}::jsonb) as p("instanceId" uuid, "cellId" uuid)
    where x.id = p."instanceId" and x.state = 'UNPLACED' returning x.id`);
  return rows.length;
}

/** Records why instances could not be placed, in one statement. */
export async function recordUnplaced(
  db: Database,
  unplaced: readonly { instanceId: string; reason: string }[],
): Promise<void> {
  if (unplaced.length === 0) return;
  await db.execute(sql`
    update instances x set reason = p.reason
    from jsonb_to_recordset(${JSON.stringify(unplaced)}::jsonb) as p("instanceId" uuid, reason text)
    where x.id = p."instanceId" and x.state = 'UNPLACED'`);
}

/** A placed instance whose start command is due, with its revision's spec. */
export interface PendingStart {
  instanceId: string;
  tenantId: string;
  appId: string;
  cellId: string;
  index: number;
  revision: number;
  stack: string;
  command: string;
  env: Record<string, string>;
  memoryMb: number;
  diskMb: number;
  ports: number[];
  /** parsed once per revision (its defaults filled in), not once per start; null: the stored one is invalid */
  healthCheck: HealthCheck | null;
  /** absent for a docker app, which has `image` */
  bitsDigest?: string;
  image?: AppImage;
  /** a docker app's registry credentials, sealed (`SecretBox`) */
  imageCredentials?: string;
  /** the key its cell's last report named for sealing registry credentials */
  cellSealKey?: string;
  /** the stricter of the tenant's and the space's log-rate limits, when either sets one */
  logLinesPerSecond?: number;
  volumes: { id: string; sizeMb: number; shared: boolean; path: string; readOnly: boolean }[];
}

/** An instance whose start is due, before its revision's spec is added (`withSpecs`). */
type StartRow = {
  id: string;
  tenant_id: string;
  app_id: string;
  cell_id: string;
  index: number;
  revision: number;
};

/** What a start takes from its revision, its app and their quotas (`withSpecs`). */
type SpecRow = {
  app_id: string;
  revision: number;
  stack: string;
  command: string;
  env: Record<string, string>;
  memory_mb: number;
  disk_mb: number;
  ports: number[];
  health_check: Record<string, unknown>;
  bits_digest: string | null;
  image: AppImage | null;
  image_credentials: string | null;
  log_lines_per_second: number | null;
  volumes: PendingStart["volumes"];
};

/**
 * The start commands of `rows` (in their order): each with its revision's spec, its app's sealed
 * registry credentials, its log-rate limit and its volumes, read once per revision (an app's
 * instances share it: a batch of 5,000 starts of 500 apps reads 500 specs, not 5,000 copies); an
 * instance whose revision is gone is left out. The cells' sealing keys are read only for apps with
 * registry credentials (a cell's report is large, TOASTed).
 */
async function withSpecs(db: Database, rows: readonly StartRow[]): Promise<PendingStart[]> {
  if (rows.length === 0) return [];
  const key = (appId: string, revision: number) => `${appId}/${revision}`;
  const revisions = new Map<string, { app_id: string; revision: number }>();
  for (const row of rows)
    revisions.set(key(row.app_id, row.revision), { app_id: row.app_id, revision: row.revision });
  const specRows = await db.execute<SpecRow>(sql`
    select r.app_id, r.revision, r.stack, r.command, r.env, r.memory_mb, r.disk_mb, r.ports, r.health_check,
      r.bits_digest, r.image, a.image_credentials,
      least(tq.log_lines_per_second, sq.log_lines_per_second) as log_lines_per_second,
      case when r.volumes <> '[]'::jsonb then
        (select coalesce(jsonb_agg(jsonb_build_object('id', v.id, 'sizeMb', v.size_mb, 'shared', v.shared,
            'path', m->>'path', 'readOnly', (m->>'readOnly')::boolean)), '[]'::jsonb)
          from jsonb_array_elements(r.volumes) m join volumes v on v.id = (m->>'volumeId')::uuid)
        else '[]'::jsonb end as volumes
    from jsonb_to_recordset(${JSON.stringify([...revisions.values()])}::jsonb) as p(app_id uuid, revision int)
    join app_revisions r on r.app_id = p.app_id and r.revision = p.revision
    join apps a on a.id = r.app_id
    left join tenant_quotas tq on tq.tenant_id = a.tenant_id
    left join space_quotas sq on sq.space_id = a.space_id`);
  const specs = new Map(
    [...specRows].map((spec) => [
      key(spec.app_id, spec.revision),
      { ...spec, health_check: HealthCheck.safeParse(spec.health_check).data ?? null },
    ]),
  );
  const sealing = new Set<string>();
  for (const row of rows)
    if (specs.get(key(row.app_id, row.revision))?.image_credentials != null) sealing.add(row.cell_id);
  const sealKeys = new Map<string, string>();
  if (sealing.size > 0) {
    const cells = await db.execute<{ id: string; seal_key: string | null }>(sql`
      select id, last_report->>'sealKey' as seal_key from cells where id = any(${uuidArray([...sealing])}::uuid[])`);
    for (const cell of cells) if (cell.seal_key !== null) sealKeys.set(cell.id, cell.seal_key);
  }
  const starts: PendingStart[] = [];
  for (const row of rows) {
    const spec = specs.get(key(row.app_id, row.revision));
    if (!spec) continue;
    starts.push({
      instanceId: row.id,
      tenantId: row.tenant_id,
      appId: row.app_id,
      cellId: row.cell_id,
      index: row.index,
      revision: row.revision,
      stack: spec.stack,
      command: spec.command,
      env: spec.env,
      memoryMb: spec.memory_mb,
      diskMb: spec.disk_mb,
      ports: spec.ports,
      healthCheck: spec.health_check,
      bitsDigest: spec.bits_digest ?? undefined,
      image: spec.image ?? undefined,
      imageCredentials: spec.image_credentials ?? undefined,
      cellSealKey: spec.image_credentials === null ? undefined : sealKeys.get(row.cell_id),
      logLinesPerSecond: spec.log_lines_per_second ?? undefined,
      volumes: spec.volumes,
    });
  }
  return starts;
}

/**
 * Claims the start commands due, in one statement: placed instances never sent a start command, or
 * whose last one is older than `resendAfterMs`, at most `limit`, those waiting longest first; their
 * `command_sent_at` becomes now (they are due again after `resendAfterMs` unless the instance moves
 * on). Rows another transaction holds are skipped (due at the next claim). The due lookup is a scan
 * of `instances_start_due_idx` (PLACED rows by when their start was last sent, never first).
 */
export async function claimStarts(
  db: Database,
  resendAfterMs: number,
  limit: number,
): Promise<PendingStart[]> {
  if (limit <= 0) return [];
  const rows = await db.execute<StartRow>(sql`
    with due as (
      select x.id
      from instances x
      join app_revisions r on r.app_id = x.app_id and r.revision = x.revision
      where x.state = 'PLACED' and x.cell_id is not null
        and coalesce(x.command_sent_at, '-infinity'::timestamptz)
          < now() - make_interval(secs => ${resendAfterMs / 1000})
        and (r.bits_digest is not null or r.image is not null)
        -- a volume whose data is still being copied to its cell: the start waits for it
        and not exists (select 1 from jsonb_array_elements(r.volumes) m
          join volumes v on v.id = (m->>'volumeId')::uuid where v.source_object is not null)
      order by coalesce(x.command_sent_at, '-infinity'::timestamptz), x.since
      limit ${limit}
      for update of x skip locked
    ), claimed as (
      -- by primary key (= any of an array: an index scan; joined with the CTE, Postgres hashed
      -- all 100,000 instances for a batch)
      update instances x set command_sent_at = now() where x.id = any(array(select id from due))
      returning x.id, x.tenant_id, x.app_id, x.cell_id, x.index, x.revision, x.since
    )
    -- the batch is those due longest (resends and new alike); within it, the oldest go first
    select id, tenant_id, app_id, cell_id, index, revision from claimed order by since`);
  return withSpecs(db, [...rows]);
}

/**
 * Makes the starts of every instance still PLACED on `cellId` due now (as never sent), and returns
 * their ids: the cell synced its state, so it may have restarted and lost what it was sent (a start
 * sent while its agent was down found no responder). Commands are idempotent: one it still holds is
 * taken once.
 */
export async function startsDueAgain(db: Database, cellId: string): Promise<string[]> {
  if (!isUuid(cellId)) return [];
  const rows = await db.execute<{ id: string }>(sql`
    update instances set command_sent_at = null
    where cell_id = ${cellId} and state = 'PLACED' and command_sent_at is not null
    returning id`);
  return [...rows].map((row) => row.id);
}

/**
 * The start commands of instances the leader placed and handed to its start pump (`handedOff`),
 * read without writing: those still PLACED on a cell, the oldest first (one stopped meanwhile is
 * left out).
 */
export async function startsOf(db: Database, instanceIds: readonly string[]): Promise<PendingStart[]> {
  if (instanceIds.length === 0) return [];
  const rows = await db.execute<StartRow>(startsOfQuery(instanceIds));
  return withSpecs(db, [...rows]);
}

/**
 * `startsOf`'s read: the rows by primary key. Its state is compared as text so that the partial
 * index of PLACED rows (`instances_start_due_idx`) cannot drive it: in a ramp tens of thousands of
 * rows are PLACED while the statistics say a few, and the planner scanned them all to keep the
 * ids asked for (16 ms for 900 ids among 50,000 PLACED rows, 3 ms by key).
 */
export function startsOfQuery(instanceIds: readonly string[]) {
  return sql`
    select id, tenant_id, app_id, cell_id, index, revision from instances
    where id = any(${uuidArray(instanceIds)}::uuid[]) and state::text = 'PLACED' and cell_id is not null
    order by since`;
}

/** A cell refused to start the instance: it counts as a crash with the cell's reason. */
export async function markStartRefused(db: Database, instanceId: string, reason: string): Promise<void> {
  await db.execute(sql`
    update instances set state = 'CRASHED', reason = ${reason}, crash_count = crash_count + 1, since = now()
    where id = ${instanceId} and state = 'PLACED'`);
}
