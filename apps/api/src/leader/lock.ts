import type { Logger } from "pino";
import postgres from "postgres";

/** The advisory lock key every api replica competes for (arbitrary, fixed: "grove" + 1). */
export const LEADER_LOCK_KEY = 7263002;

/** Callbacks run when this process gains and loses leadership. */
export interface LeaderHooks {
  onAcquire(): Promise<void> | void;
  onLose(): Promise<void> | void;
}

/** A running leader election. */
export interface LeaderElection {
  isLeader(): boolean;
  /** Stops competing; releases the lock (by closing its connection) and runs `onLose` if held. */
  stop(): Promise<void>;
}

/**
 * Competes for leadership with a session-level `pg_try_advisory_lock` on a dedicated connection,
 * checked every `checkMs`. Holding is re-verified against `pg_locks` for this backend, because a
 * silently re-established connection would have lost the lock without an error.
 */
export function startLeaderElection(
  databaseUrl: string,
  hooks: LeaderHooks,
  log: Logger,
  options: { checkMs?: number; key?: number } = {},
): LeaderElection {
  const key = options.key ?? LEADER_LOCK_KEY;
  const sql = postgres(databaseUrl, { max: 1, idle_timeout: 0, onnotice: () => {} });
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const holds = async () => {
    const [row] = await sql<{ held: boolean }[]>`
      select exists(select 1 from pg_locks where locktype = 'advisory' and objid = ${key}
        and pid = pg_backend_pid() and granted) as held`;
    return row?.held === true;
  };
  const step = async () => {
    try {
      if (leader) {
        if (await holds()) return;
        leader = false;
        log.warn("leader lock lost");
        await hooks.onLose();
      }
      const [row] = await sql<{ ok: boolean }[]>`select pg_try_advisory_lock(${key}) as ok`;
      if (row?.ok) {
        leader = true;
        log.info("leader lock acquired");
        await hooks.onAcquire();
      }
    } catch (error) {
      if (leader) {
        leader = false;
        log.warn({ err: error }, "leader lock lost: database unreachable");
        await hooks.onLose();
      }
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = step().finally(schedule);
    }, options.checkMs ?? 2_000);
  };
  running = step().finally(schedule);

  return {
    isLeader: () => leader,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (leader) {
        leader = false;
        await hooks.onLose();
      }
      await sql.end({ timeout: 5 });
    },
  };
}
