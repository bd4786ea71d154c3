import type { Logger } from "pino";
import type { ApiOptions } from "../api";
import { SecretBox } from "../apps/secret-box";
import { consumeInstanceEvents } from "../cells/instance-events";
import { startPresenceLoop } from "../cells/presence";
import type { CellNetworkSettings } from "../config";
import { type Loop, type RunningLoop, startLoop } from "../loop";
import { startMaintenanceLoop } from "../maintenance";
import type { ApiMetrics } from "../metrics";
import { pushAccountRevocations } from "../nats/account-revocations";
import { DeadLetters } from "../nats/dead-letters";
import { ensureInstanceEventsConsumer } from "../nats/instance-events-stream";
import { pushNames } from "../network/names-push";
import { pushPeers } from "../network/peers-push";
import { PushPacing } from "../network/push-pacing";
import { policyAnnouncer } from "../policies/announce";
import { BackgroundPush, SentCommands } from "../policies/push";
import { startRouteEmitter } from "../routing/route-emitter";
import { moveVolumeData } from "../volumes/mover";
import { sweepVolumeData } from "../volumes/sweep";
import { KeyedDispatch } from "./bounded";
import { CellReports } from "./cell-reports";
import { Exclusive } from "./exclusive";
import type { LeaderHooks } from "./lock";
import { runRound } from "./round";
import { startStartPump } from "./start-pump";
import { StrayCandidates } from "./stray-candidates";
import { ClusterView } from "./view";

/** How often the leader sweeps the volume data store of objects nothing needs. */
const VOLUME_DATA_SWEEP_MS = 5 * 60_000;
/** how often a cell is sent its unchanged overlay peers again (changes and syncs send at once) */
const PEERS_REFRESH_MS = 10 * 60_000;

/**
 * Published by any api replica when desired state changes; the leader runs a round at once.
 * Internal to the api (not part of the agent protocol).
 */
export const PLACEMENT_WAKE_SUBJECT = "grove.v1.api.placement.wake";

/** The body of a wake sent after a cell synced its state; `cell-synced:<cell id>` names the cell. */
export const CELL_SYNCED = "cell-synced";

/**
 * A woken round starts at least this long after the previous one started: instance events wake the
 * leader once each, and at thousands of events a second rounds that each read the whole cluster
 * would otherwise run back to back.
 */
export const WOKEN_ROUND_GAP_MS = 200;

/** The loops only the leader runs: presence, placement, route emission, and applying instance events. */
export function leaderLoops(
  deps: ApiOptions & { log: Logger; metrics: ApiMetrics; network: CellNetworkSettings },
): LeaderHooks {
  const { config, db, nc, log, metrics } = deps;
  const stops: (() => Promise<void>)[] = [];
  const secrets = SecretBox.fromAuthority(deps.authority);
  return {
    async onAcquire() {
      metrics.isLeader.set(1);
      // each part registers its stop as soon as it runs, so a failure half-way stops what started
      const routes = startRouteEmitter({
        db,
        nc,
        log,
        metrics,
        domain: config.GROVE_DOMAIN,
        intervalMs: config.GROVE_ROUTE_INTERVAL_MS,
        wakeGapMs: WOKEN_ROUND_GAP_MS,
      });
      stops.push(() => routes.stop());
      const placementLog = log.child({ component: "api.placement" });
      // start and stop commands go out in the background; the start pump adds more starts when
      // those queued fall to half of what it may queue (before the dispatch runs dry)
      const dispatch = new KeyedDispatch(config.GROVE_COMMAND_CONCURRENCY, {
        mark: Math.ceil(config.GROVE_STARTS_QUEUED / 2),
        notify: () => starts.wake(),
      });
      const exclusive = new Exclusive();
      // what cells report, read again only where a report changed (by the rounds; the pump asks it
      // which cells take batches of starts)
      const reports = new CellReports();
      const starts = startStartPump({
        db,
        nc,
        log: placementLog,
        commandTimeoutMs: deps.commandTimeoutMs,
        secrets,
        dispatch,
        exclusive,
        queued: config.GROVE_STARTS_QUEUED,
        intervalMs: config.GROVE_CONVERGENCE_INTERVAL_MS,
        resendAfterMs: config.GROVE_START_RESEND_MS,
        reports,
        metrics,
      });
      // the pump first: no start is queued once the dispatch is stopping
      stops.push(async () => {
        await starts.stop();
        await dispatch.stop();
      });
      const policyLog = log.child({ component: "api.policies" });
      // cells pull their slices when told; the leader tells them when addresses or cells change
      const policies = new BackgroundPush(policyAnnouncer(db, nc), policyLog, "policy announcement");
      stops.push(() => policies.stop());
      policies.request();
      // what each cell took last: unchanged peers and names are not sent again every round. A cell's
      // peers are every other cell (at 1,000 cells a million entries a push), so an unchanged list is
      // sent again only every 10 minutes; a cell that synced (it restarted) gets it at once anyway
      const peersSent = new SentCommands(PEERS_REFRESH_MS);
      const namesSent = new SentCommands();
      const peersLog = log.child({ component: "api.overlay" });
      const peersPacing = new PushPacing();
      stops.push(async () => peersPacing.stop());
      const peers = new BackgroundPush(
        () =>
          pushPeers({ db, nc, log: peersLog, network: deps.network, sent: peersSent, pacing: peersPacing }),
        peersLog,
        "overlay peers",
      );
      stops.push(() => peers.stop());
      const namesLog = log.child({ component: "api.names" });
      // what the placement rounds know of apps and instances, read incrementally
      const view = new ClusterView();
      const strays = new StrayCandidates();
      const names = new BackgroundPush(
        () => pushNames({ db, nc, log: namesLog, sent: namesSent }),
        namesLog,
        "internal names",
      );
      stops.push(() => names.stop());
      const placement: RunningLoop = startLoop(
        "placement",
        config.GROVE_CONVERGENCE_INTERVAL_MS,
        async () => {
          const timer = metrics.leaderRoundDuration.startTimer();
          const phasesMs: Record<string, number> = {};
          const result = await runRound({
            phasesMs,
            view,
            reports,
            strays,
            db,
            nc,
            log: placementLog,
            commandTimeoutMs: deps.commandTimeoutMs,
            commandConcurrency: config.GROVE_COMMAND_CONCURRENCY,
            dispatch,
            exclusive,
            onPlaced: (handedOff) => starts.offer(handedOff),
          });
          timer();
          // a round marks stopped instances STOPPED: their routes go now
          if (result.stopped > 0) routes.wake();
          // a single-writer volume's new instance is made once the old one has stopped (next round)
          if (result.deferred > 0) placement.hurry();
          if (result.placed > 0) starts.wake();
          // stopped instances may free volume data to move; placed ones may wait for their data
          if (result.stopped > 0 || result.placed > 0) volumeData.wake();
          policies.request();
          peers.request();
          names.request();
          metrics.unplacedInstances.set(result.unplaced);
          if (Object.values(result).some((n) => n > 0))
            placementLog.info({ ...result, ms: phasesMs }, "leader round");
        },
        placementLog,
        WOKEN_ROUND_GAP_MS,
      );
      stops.push(() => placement.stop());
      const volumeLog = log.child({ component: "api.volume-data" });
      let lastSweep = 0;
      const volumeData: Loop = startLoop(
        "volume-data",
        config.GROVE_CONVERGENCE_INTERVAL_MS,
        async () => {
          const result = await moveVolumeData({ db, nc, log: volumeLog });
          // data that left its cell lets placement choose another; data that arrived lets starts go
          if (result.exported > 0 || result.imported > 0) {
            placement.wake();
            starts.wake();
          }
          if (Object.values(result).some((n) => n > 0)) volumeLog.info(result, "volume data pass");
          if (Date.now() - lastSweep >= VOLUME_DATA_SWEEP_MS) {
            lastSweep = Date.now();
            const swept = await sweepVolumeData({ db, nc });
            if (swept.objects > 0 || swept.chunks > 0)
              volumeLog.info(swept, "volume data nothing needs removed from the store");
          }
        },
        volumeLog,
      );
      stops.push(() => volumeData.stop());
      const presence = startPresenceLoop({
        db,
        nc,
        log,
        metrics,
        ttlMs: config.GROVE_PRESENCE_TTL_MS,
        onLost: () => {
          routes.wake();
          placement.wake();
        },
      });
      stops.push(() => presence.stop());
      const maintenance = startMaintenanceLoop(db, log, {
        retentionMs: config.GROVE_RETENTION_MS,
        onCellsExpired: () => pushAccountRevocations({ config, db, authority: deps.authority }),
      });
      maintenance.wake();
      stops.push(() => maintenance.stop());
      const wake = nc.subscribe(PLACEMENT_WAKE_SUBJECT, {
        callback: (_error, msg) => {
          // a cell synced its state (it may have restarted): it gets its peers and names again (every
          // cell did once, and each of a bulk join's syncs sent all cells theirs); a wake naming no
          // cell (an older replica's) still resends everyone's
          const body = msg.data.length > 0 ? msg.string() : "";
          if (body === CELL_SYNCED) {
            peersSent.clear();
            namesSent.clear();
          } else if (body.startsWith(`${CELL_SYNCED}:`)) {
            const cellId = body.slice(CELL_SYNCED.length + 1);
            peersSent.forget(cellId);
            namesSent.forget(cellId);
            // starts it may have lost (or never had: sent while its agent was down) go again now
            starts
              .cellSynced(cellId)
              .catch((err) => placementLog.warn({ err, cellId }, "starts of a synced cell not made due"));
          }
          routes.wake();
          placement.wake();
        },
      });
      stops.push(async () => wake.unsubscribe());
      placement.wake();
      // starts the previous leader claimed but may not have sent are due again after the resend time
      starts.wake();
      const consumer = await ensureInstanceEventsConsumer(nc);
      const events = await consumeInstanceEvents({
        db,
        consumer,
        log,
        metrics,
        deadLetters: new DeadLetters({
          nc,
          metrics,
          log,
          maxDeliveries: config.GROVE_DEAD_LETTER_AFTER_DELIVERIES,
          redeliveryDelayMs: config.GROVE_REDELIVERY_DELAY_MS,
        }),
        onApplied: () => {
          routes.wake();
          placement.wake();
        },
      });
      stops.push(() => events.stop());
    },
    async onLose() {
      metrics.isLeader.set(0);
      await Promise.all(stops.splice(0).map((stop) => stop()));
    },
  };
}
