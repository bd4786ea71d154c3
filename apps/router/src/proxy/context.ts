import type { Logger } from "pino";
import type { TrafficCounters } from "../metrics";
import type { RouteTable } from "../route-table";
import type { CoarseClock } from "./coarse-clock";
import type { Dispatcher } from "./dispatcher";

/** What the connections of one proxy share. */
export interface ProxyContext {
  table: RouteTable;
  log: Logger;
  traffic: TrafficCounters;
  dispatcher: Dispatcher;
  clock: CoarseClock;
  nextRequestId: () => string;
  /** a request head whose bytes, as llhttp counts them (HeadMeter), reach this is answered 431 */
  maxHeadBytes: number;
  /**
   * an unfinished head longer than this on the wire is answered 431 too: llhttp does not count
   * whitespace it skips, but the router holds a head's bytes until it ends
   */
  maxHeadWireBytes: number;
  /** ms a client connection may sit without a request before it is closed */
  clientIdleMs: number;
}
