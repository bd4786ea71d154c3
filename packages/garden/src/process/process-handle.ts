import { readFile, stat } from "node:fs/promises";
import type { Socket } from "node:net";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Writable } from "node:stream";
import { GardenError } from "../errors";
import type { Process, ReadOptions } from "../garden-api";
import type { Signal, WindowSize } from "../types";
import { closeStdinFrame, connectControl, outputTakenFrame, resizeFrame, stdinFrame } from "./control-client";
import { watchDir } from "./dir-watch";
import { followFile } from "./follow-file";

const SIGNALS: Record<Signal, NodeJS.Signals> = {
  interrupt: "SIGINT",
  terminate: "SIGTERM",
  kill: "SIGKILL",
};

/** Longest pause between looks at a process directory when no change was seen in it. */
const recheckMs = 250;

/** The file in a process directory where the monitor records the exit status (moved into place). */
export const EXIT_CODE_FILE = "exitcode";

/** Reads what the monitor left in a process directory. */
export async function readExitCode(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, EXIT_CODE_FILE), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  const code = Number.parseInt(text, 10);
  return Number.isNaN(code) ? undefined : code;
}

export async function readPid(dir: string): Promise<number | undefined> {
  const text = await readFile(join(dir, "pid"), "utf8").catch(() => undefined);
  const pid = text === undefined ? Number.NaN : Number.parseInt(text, 10);
  return Number.isNaN(pid) ? undefined : pid;
}

/**
 * Waits until the monitor records the exit code in `dir` (watching the directory, so it returns as
 * soon as the file appears), the monitor is gone, or `timeoutMs` passed; returns the code, if any.
 */
export async function waitForExitCode(dir: string, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  const changes = watchDir(dir, [EXIT_CODE_FILE]);
  try {
    for (;;) {
      const code = await readExitCode(dir);
      if (code !== undefined) return code;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || !(await monitorAlive(dir))) return await readExitCode(dir);
      await changes.wait(Math.min(remaining, recheckMs));
    }
  } finally {
    changes.close();
  }
}

/** Whether the monitor of a process directory is still running. */
export async function monitorAlive(dir: string): Promise<boolean> {
  const pid = Number.parseInt(await readFile(join(dir, "monitor.pid"), "utf8").catch(() => ""), 10);
  if (Number.isNaN(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ProcessHooks {
  /** called on every operation: counts as use of the container */
  touch(): void;
  /** called (at most once per handle) after the process has exited, e.g. to remove a pea */
  exited?(): Promise<void>;
}

/**
 * A process as its monitor's directory shows it. Holds no state of its own, so any number of
 * handles (in this or a restarted runtime) see the same output, stdin and exit status.
 */
export class ProcessHandle implements Process {
  private exitedHook: Promise<void> | undefined;

  constructor(
    readonly id: string,
    readonly dir: string,
    private readonly hooks: ProcessHooks,
  ) {}

  stdout(options?: ReadOptions): Readable {
    return this.output("stdout", options);
  }

  stderr(options?: ReadOptions): Readable {
    return this.output("stderr", options);
  }

  private output(stream: "stdout" | "stderr", { acknowledge, ...options }: ReadOptions = {}): Readable {
    this.hooks.touch();
    let control: Promise<Socket | undefined> | undefined;
    const readable = followFile(join(this.dir, stream), () => this.hasExited(), {
      ...options,
      alsoWakeOn: [EXIT_CODE_FILE],
      onRead: acknowledge
        ? (bytes) => {
            // A process that has exited has no control socket, and nothing left to hold.
            control ??= connectControl(this.dir).then(
              (socket) => socket.on("error", () => {}),
              () => undefined,
            );
            void control.then((socket) => socket?.write(outputTakenFrame(stream, bytes)));
          }
        : undefined,
    });
    readable.once("close", () => void control?.then((socket) => socket?.destroy()));
    return readable;
  }

  stdin(): Writable {
    this.hooks.touch();
    let socket: Promise<Socket | undefined> | undefined;
    const connection = () => {
      // A process that has exited has no control socket: its stdin is gone, writes are dropped.
      socket ??= connectControl(this.dir).then(
        (connected) => {
          connected.on("error", () => {});
          return connected;
        },
        () => undefined,
      );
      return socket;
    };
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        connection().then((connected) => {
          if (!connected || connected.destroyed) return callback();
          connected.write(stdinFrame(chunk), () => callback());
        }, callback);
      },
      final(callback) {
        connection().then((connected) => {
          if (!connected || connected.destroyed) return callback();
          connected.end(closeStdinFrame(), () => callback());
        }, callback);
      },
      destroy(error, callback) {
        socket?.then((connected) => connected?.destroy());
        callback(error);
      },
    });
  }

  async resize(size: WindowSize): Promise<void> {
    this.hooks.touch();
    const socket = await connectControl(this.dir).catch(() => undefined);
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.on("error", () => resolve());
      socket.end(resizeFrame(size), () => resolve());
    });
  }

  async signal(signal: Signal): Promise<void> {
    this.hooks.touch();
    if (await this.hasExited()) return;
    const pid = await readPid(this.dir);
    if (pid === undefined) return;
    try {
      process.kill(pid, SIGNALS[signal]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    }
  }

  async wait(): Promise<number> {
    for (;;) {
      const code = await waitForExitCode(this.dir, 60_000);
      if (code !== undefined) {
        await this.runExitedHook();
        return code;
      }
      // A monitor that died without an exit code (killed, host rebooted) or a destroyed container
      // would make us wait forever.
      if (!(await monitorAlive(this.dir))) {
        throw new GardenError(`the monitor of process ${this.id} is gone; its exit status is unknown`, {
          processId: this.id,
        });
      }
    }
  }

  /** When the process exited (the exit code file's time), or undefined while it runs. */
  async exitedAtMs(): Promise<number | undefined> {
    const info = await stat(join(this.dir, EXIT_CODE_FILE)).catch(() => undefined);
    return info?.mtimeMs;
  }

  /** Exited, or its directory is gone (container destroyed): either way no more output comes. */
  async hasExited(): Promise<boolean> {
    if ((await readExitCode(this.dir)) !== undefined) return true;
    return !(await stat(this.dir).catch(() => undefined));
  }

  private runExitedHook(): Promise<void> {
    this.exitedHook ??= this.hooks.exited ? this.hooks.exited() : Promise.resolve();
    return this.exitedHook;
  }
}
