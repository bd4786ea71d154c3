import { execa } from "execa";
import { NetworkSetupFailed } from "./errors";

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs commands in the cell's host network namespace: the root namespace, or `hostNetns` entered
 * with nsenter (network namespace only, so /run/netns, cgroups and files stay the machine's).
 */
export class HostExec {
  constructor(readonly hostNetns: string | undefined) {}

  /** Runs and returns the result whatever the exit code. */
  async tryRun(
    command: string,
    args: string[],
    opts: { input?: string; env?: Record<string, string> } = {},
  ): Promise<ExecResult> {
    const [file, argv] = this.hostNetns
      ? ["nsenter", [`--net=${this.hostNetns}`, "--", command, ...args]]
      : [command, args];
    const result = await execa(file, argv, {
      reject: false,
      input: opts.input ?? "",
      env: opts.env,
      stripFinalNewline: true,
    });
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? -1 };
  }

  /** Runs and throws NetworkSetupFailed with the tool's own message when it fails. */
  async run(
    operation: string,
    command: string,
    args: string[],
    opts: { input?: string; env?: Record<string, string>; handle?: string } = {},
  ): Promise<string> {
    const result = await this.tryRun(command, args, opts);
    if (result.exitCode !== 0) {
      const message = result.stderr.trim() || result.stdout.trim() || `exit ${result.exitCode}`;
      throw new NetworkSetupFailed(operation, lastLines(message), opts.handle);
    }
    return result.stdout;
  }

  /** Applies an nft script as one transaction. */
  async nft(operation: string, script: string): Promise<void> {
    await this.run(operation, "nft", ["-f", "-"], { input: script });
  }

  async sysctl(key: string, value: string): Promise<void> {
    await this.run(`sysctl ${key}`, "sysctl", ["-q", "-w", `${key}=${value}`]);
  }
}

/** Runs a command in a container's network namespace (by path). */
export async function runInNetns(netnsPath: string, command: string, args: string[]): Promise<string> {
  const result = await execa("nsenter", [`--net=${netnsPath}`, "--", command, ...args], { reject: false });
  if (result.exitCode !== 0) {
    throw new NetworkSetupFailed(
      `${command} in ${netnsPath}`,
      lastLines(String(result.stderr) || `exit ${result.exitCode}`),
    );
  }
  return String(result.stdout);
}

function lastLines(text: string): string {
  return text.split("\n").slice(-5).join("\n");
}
