import type { ExecSignal, GroveClient } from "@grove/client";
import type { Command } from "commander";
import { appRef, withSpaceOption } from "../app-ref";
import { action } from "../context";
import { CliError, ProcessExited, UsageError } from "../errors";
import { parseCount } from "../units";

const signalNames: Record<string, ExecSignal> = {
  INT: "interrupt",
  INTERRUPT: "interrupt",
  TERM: "terminate",
  TERMINATE: "terminate",
  KILL: "kill",
};

/** `INT`, `SIGTERM`, `kill`… → the API's signal name. */
export function parseSignal(text: string): ExecSignal {
  const signal = signalNames[text.toUpperCase().replace(/^SIG/, "")];
  if (!signal) throw new UsageError(`--signal must be INT, TERM or KILL, not ${JSON.stringify(text)}`);
  return signal;
}

interface ExecOptions {
  instance: string;
  tty?: boolean;
  signal: string;
  space?: string;
}

/**
 * `grove exec NAME [-i INDEX] [-t] [--signal SIG] [--space S] -- CMD…`: runs CMD in a running instance with
 * this terminal's stdin, stdout and stderr, and exits with CMD's exit code. Ctrl-C sends `--signal`
 * (default INT) to CMD rather than stopping `grove`; a second Ctrl-C sends KILL. With `-t` on a
 * terminal, CMD gets a terminal of this size and keystrokes (Ctrl-C included) go to it raw.
 */
export function registerExec(program: Command): void {
  withSpaceOption(program.command("exec"))
    .description("run a command in a running instance of an app (grove exec NAME -- CMD ARGS…)")
    .argument("<name>", "app name")
    .argument("<command...>", "the command and its arguments, after --")
    .option("-i, --instance <index>", "which instance", "0")
    .option("-t, --tty", "run the command under a terminal")
    .option("--signal <sig>", "what Ctrl-C sends to the command: INT, TERM or KILL", "INT")
    .action(
      action(async (ctx, name: string, command: string[], options: ExecOptions) => {
        const index = parseCount(options.instance, "instance");
        const onInterrupt = parseSignal(options.signal);
        const client = await ctx.client();
        const stdin = process.stdin;
        const raw = options.tty === true && stdin.isTTY === true;
        const size = () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
        const exec = await client.startExec(appRef(name, options.space), index, {
          command,
          tty: options.tty ? size() : undefined,
        });
        const id = exec.exec_id;
        let interrupts = 0;
        const send = (signal: ExecSignal) => void client.signalExec(id, signal).catch(() => {});
        const interrupted = () => send(interrupts++ === 0 ? onInterrupt : "kill");
        const terminated = () => send("terminate");
        const resized = () => void client.resizeExec(id, size()).catch(() => {});
        process.on("SIGINT", interrupted);
        process.on("SIGTERM", terminated);
        process.on("SIGHUP", terminated);
        if (raw) {
          stdin.setRawMode(true);
          process.stdout.on("resize", resized);
        }
        let exited = false;
        try {
          void forwardStdin(client, id, () => exited);
          const exitCode = await relayOutput(client, id, ctx.out.json);
          exited = true;
          if (exitCode !== 0) throw new ProcessExited(exitCode);
        } finally {
          exited = true;
          if (raw) stdin.setRawMode(false);
          stdin.pause();
          process.stdout.off("resize", resized);
          process.off("SIGINT", interrupted);
          process.off("SIGTERM", terminated);
          process.off("SIGHUP", terminated);
        }
      }),
    );
}

/** Writes the exec's output to stdout/stderr (or NDJSON) and returns its exit code. */
async function relayOutput(client: GroveClient, id: string, json: boolean): Promise<number> {
  for await (const event of client.execOutput(id)) {
    if (event.type === "exit") {
      if (json) process.stdout.write(`${JSON.stringify({ exit_code: event.exitCode })}\n`);
      return event.exitCode;
    }
    if (json) {
      const text = Buffer.from(event.data).toString("utf8");
      process.stdout.write(`${JSON.stringify({ stream: event.stream, data: text })}\n`);
    } else {
      await write(event.stream === "stderr" ? process.stderr : process.stdout, event.data);
    }
  }
  throw new CliError("the command's output ended before it exited");
}

/** Sends this process's stdin to the exec, one chunk at a time, then its end; stops once it exited. */
async function forwardStdin(client: GroveClient, id: string, exited: () => boolean): Promise<void> {
  try {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      if (exited()) return;
      await client.writeExecStdin(id, chunk);
    }
    if (!exited()) await client.writeExecStdin(id, new Uint8Array(), true);
  } catch {
    // the process exited (or stopped reading) while input was still coming: nothing to deliver to
  }
}

function write(stream: NodeJS.WriteStream, data: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(data)) resolve();
    else stream.once("drain", resolve);
  });
}
