import type { Readable, Writable } from "node:stream";
import type {
  Capacity,
  ContainerInfo,
  ContainerMetrics,
  ContainerSpec,
  Limits,
  NetInMapping,
  NetOutRule,
  ProcessSpec,
  Signal,
  WindowSize,
} from "./types";

/**
 * The runtime's public surface: what the Garden wire server and the agent call. Errors are the
 * typed ones in errors.ts. Every call on a container counts as use for its grace time.
 */
export interface Garden {
  ping(): Promise<void>;
  capacity(): Promise<Capacity>;
  create(spec: ContainerSpec): Promise<Container>;
  /** Removes the container and everything made for it; unknown handle → ContainerNotFound. */
  destroy(handle: string): Promise<void>;
  /** Containers whose properties match every given pair; half-created ones only with includeIncomplete. */
  containers(filter?: Record<string, string>, opts?: { includeIncomplete?: boolean }): Promise<Container[]>;
  lookup(handle: string): Promise<Container>;
  bulkInfo(handles: string[]): Promise<Record<string, { info?: ContainerInfo; error?: Error }>>;
  bulkMetrics(handles: string[]): Promise<Record<string, { metrics?: ContainerMetrics; error?: Error }>>;
  /** Stops timers and releases in-memory resources; containers and processes keep running. */
  close(): Promise<void>;
}

export interface Container {
  readonly handle: string;
  stop(kill: boolean): Promise<void>;
  info(): Promise<ContainerInfo>;
  metrics(): Promise<ContainerMetrics>;
  currentLimits(): Promise<Limits>;
  /** Extracts a tar stream at `path` as `user`; a malicious archive is rejected and changes nothing. */
  streamIn(opts: { user?: string; path: string; tar: Readable }): Promise<void>;
  /** A tar stream of `path` as `user`. */
  streamOut(opts: { user?: string; path: string }): Promise<Readable>;
  netIn(hostPort: number, containerPort: number): Promise<NetInMapping>;
  netOut(rule: NetOutRule): Promise<void>;
  bulkNetOut(rules: NetOutRule[]): Promise<void>;
  run(spec: ProcessSpec): Promise<Process>;
  /** A process started earlier, also before a restart of the runtime; finished ones for ~1 minute. */
  attach(processId: string): Promise<Process>;
  setGraceTime(ns: number): Promise<void>;
  properties(): Promise<Record<string, string>>;
  /** unknown key → GardenError */
  property(name: string): Promise<string>;
  setProperty(name: string, value: string): Promise<void>;
  removeProperty(name: string): Promise<void>;
  /** Marks the container in use until the returned function is called (open Run/Attach streams). */
  hold(): () => void;
}

export interface ReadOptions {
  /**
   * Reads at most once per this many milliseconds while output keeps coming, so a process that
   * writes many small lines is read in batches (log shipping) rather than once per write. 0 (the
   * default) reads as soon as anything is written (interactive streams).
   */
  coalesceMs?: number;
  /**
   * Tell the process's monitor of every byte read, so a process run with `holdOutput` writes on.
   * Let only the reader that must see everything acknowledge.
   */
  acknowledge?: boolean;
}

export interface Process {
  readonly id: string;
  /**
   * A new reader of the process's stdout from its first byte (output produced before this call
   * included), ending when the process has exited and all output is read. With a TTY, all output
   * is on stdout.
   */
  stdout(options?: ReadOptions): Readable;
  stderr(options?: ReadOptions): Readable;
  /** Writes to the process's stdin; end() closes it (EOF). */
  stdin(): Writable;
  resize(size: WindowSize): Promise<void>;
  signal(signal: Signal): Promise<void>;
  /** The exit status; resolves once the process has exited. */
  wait(): Promise<number>;
}
