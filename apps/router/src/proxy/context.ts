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
  /** a request head larger than this is answered 431 */
  maxHeadBytes: number;
  /** ms a client connection may sit without a request before it is closed */
  clientIdleMs: number;
}
