import { ChildFailed, type ChildOutcome, tryChild } from "@grove/child";
import { NetworkSetupFailed } from "./errors";

/** What to do when a network tool fails, by tool. */
const hints: Record<string, string> = {
  nft: "Check the rule above against `nft --check`; nftables must be installed and this host must allow nf_tables (npm run setup).",
  ip: "Check with `ip link` and `ip netns list` that no stale device or namespace of this cell is in the way.",
  sysctl: "Run as root on a kernel that has this setting (modprobe br_netfilter for bridge settings).",
  mount: "Check that /run/netns is a mount point Grove may bind to (run as root).",
};
const defaultHint = "Check that the tool is installed (npm run setup) and that Grove runs as root.";

/**
 * Runs commands in the cell's host network namespace: the root namespace, or `hostNetns` entered
 * with nsenter (network namespace only, so /run/netns, cgroups and files stay the machine's).
 */
export class HostExec {
  constructor(readonly hostNetns: string | undefined) {}

  /** Runs and returns the result whatever the exit code. */
  tryRun(
    command: string,
    args: string[],
    opts: { input?: string; env?: Record<string, string> } = {},
  ): Promise<ChildOutcome> {
    const [file, argv] = this.hostNetns
      ? ["nsenter", [`--net=${this.hostNetns}`, "--", command, ...args]]
      : [command, args];
    return tryChild(file, argv, opts);
  }

  /** Runs and throws NetworkSetupFailed with the tool's own message (ChildFailed) when it fails. */
  async run(
    operation: string,
    command: string,
    args: string[],
    opts: { input?: string; env?: Record<string, string>; handle?: string; hint?: string } = {},
  ): Promise<string> {
    const result = await this.tryRun(command, args, opts);
    if (result.exitCode !== 0) {
      const failure = new ChildFailed(command, result, opts.hint ?? hints[command] ?? defaultHint);
      throw new NetworkSetupFailed(operation, failure, opts.handle);
    }
    return result.stdout;
  }

  async sysctl(key: string, value: string): Promise<void> {
    await this.run(`sysctl ${key}`, "sysctl", ["-q", "-w", `${key}=${value}`]);
  }
}

/** Runs a command in a container's network namespace (by path). */
export async function runInNetns(netnsPath: string, command: string, args: string[]): Promise<string> {
  const result = await tryChild("nsenter", [`--net=${netnsPath}`, "--", command, ...args]);
  if (result.exitCode !== 0) {
    const failure = new ChildFailed(command, result, hints[command] ?? defaultHint);
    throw new NetworkSetupFailed(`${command} in ${netnsPath}`, failure);
  }
  return result.stdout;
}
