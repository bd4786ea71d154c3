import type { LogEntry } from "@grove/client";
import type { Command } from "commander";
import { appRef, withSpaceOption } from "../app-ref";
import { action } from "../context";
import { parseCount } from "../units";

/**
 * `grove logs NAME [-f] [-n LINES] [--space S]`: recent log lines; `-f` follows the API's event stream until
 * Ctrl-C. NDJSON with --json.
 */
export function registerLogs(program: Command): void {
  withSpaceOption(program.command("logs"))
    .description("show an app's recent log lines; -f follows new ones")
    .argument("<name>", "app name")
    .option("-f, --follow", "keep printing new lines until Ctrl-C")
    .option("-n, --lines <n>", "how many recent lines", "100")
    .action(
      action(async (ctx, name: string, options: { follow?: boolean; lines: string; space?: string }) => {
        const lines = parseCount(options.lines, "lines");
        const client = await ctx.client();
        const stop = new AbortController();
        const interrupted = () => {
          stop.abort();
          // A safety net: Ctrl-C ends a follow even if the stream never notices the abort.
          setTimeout(() => {
            process.stderr.write("grove: the log stream did not stop; exiting\n");
            process.exit(130);
          }, 2_000).unref();
        };
        process.once("SIGINT", interrupted);
        process.once("SIGTERM", interrupted);
        try {
          for await (const entry of client.logs(appRef(name, options.space), {
            lines,
            follow: options.follow,
            signal: stop.signal,
          })) {
            if (ctx.out.json) ctx.out.record(entry);
            else ctx.out.line(formatLogLine(entry, ctx.out.dim));
          }
        } catch (error) {
          if (!stop.signal.aborted) throw error;
        } finally {
          process.off("SIGINT", interrupted);
          process.off("SIGTERM", interrupted);
        }
      }),
    );
}

/** `2026-01-01T10:00:00.000Z [web/0 out] hello` */
export function formatLogLine(entry: LogEntry, dim: (text: string) => string = (t) => t): string {
  const stream = entry.stream === "stderr" ? "err" : "out";
  return `${dim(`${entry.at} [${entry.index} ${stream}]`)} ${entry.line}`;
}
