import { ChildFailed, tryChild } from "@grove/child";
import type { Logger } from "pino";
import { RuntimeFailed } from "../errors";
import { lastRuntimeError, logOffset } from "./runtime-log";

export interface RuntimeState {
  id: string;
  pid: number;
  status: "creating" | "created" | "running" | "paused" | "stopped";
  bundle: string;
}

/**
 * The OCI runtime's command line (runc's spelling). Every call passes `--root` (so several gardens
 * never see each other's containers) and a json `--log` file whose last error becomes the message
 * of RuntimeFailed.
 */
export class OciRuntime {
  constructor(
    readonly binary: string,
    readonly root: string,
    private readonly logger: Logger,
  ) {}

  /** The argument vector prefix for a command that logs to `logPath`, e.g. for the monitor. */
  argv(logPath: string, ...args: string[]): string[] {
    return [this.binary, "--root", this.root, "--log", logPath, "--log-format", "json", ...args];
  }

  async start(id: string, logPath: string): Promise<void> {
    await this.run("start", logPath, ["start", id]);
  }

  /** Deletes a stopped container; `force` also kills a running one (slower: runc polls at 100 ms). */
  async delete(id: string, logPath: string, force = true): Promise<void> {
    await this.run("delete", logPath, ["delete", ...(force ? ["--force"] : []), id]);
  }

  /** The container's state, or undefined when the runtime does not know it. */
  async state(id: string): Promise<RuntimeState | undefined> {
    const result = await tryChild(this.binary, ["--root", this.root, "state", id]);
    if (result.exitCode !== 0) return undefined;
    return JSON.parse(result.stdout) as RuntimeState;
  }

  /** Ids of every container under this runtime root. */
  async list(): Promise<string[]> {
    const result = await tryChild(this.binary, ["--root", this.root, "list", "--format", "json"]);
    if (result.exitCode !== 0 || !result.stdout.trim()) return [];
    const entries = (JSON.parse(result.stdout) as Array<{ id: string }> | null) ?? [];
    return entries.map((entry) => entry.id);
  }

  private async run(operation: string, logPath: string, args: string[]): Promise<void> {
    const argv = this.argv(logPath, ...args);
    const offset = await logOffset(logPath);
    const result = await tryChild(argv[0] as string, argv.slice(1));
    if (result.exitCode === 0) return;
    const message = (await lastRuntimeError(logPath, offset)) || result.stderr.trim();
    this.logger.debug({ operation, args, message }, "runtime command failed");
    const failure = new ChildFailed(this.binary, { ...result, stderr: message }, runtimeHint(logPath));
    throw new RuntimeFailed(`runtime ${operation}`, message, failure);
  }
}

/** What to do when the OCI runtime fails: its whole log is the place to look. */
export function runtimeHint(logPath: string): string {
  return `See the runtime's log ${logPath}; check that runc is installed (npm run setup) and that the cgroup v1 memory and pids controllers are mounted.`;
}
