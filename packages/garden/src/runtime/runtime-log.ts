import { open, stat } from "node:fs/promises";

interface LogEntry {
  level?: string;
  msg?: string;
  error?: string;
}

/** The log file's current size: pass it to lastRuntimeError to see only what comes after. */
export async function logOffset(logPath: string): Promise<number> {
  return (await stat(logPath).catch(() => undefined))?.size ?? 0;
}

/**
 * What the OCI runtime said about its failure, from its `--log` file (`--log-format json`)
 * after `fromOffset`: the last error, plus the first error of runc's C part (nsexec), which is
 * usually the actual cause ("failed to open mount source …") behind a vaguer final message.
 * "" when it logged no error.
 */
export async function lastRuntimeError(logPath: string, fromOffset = 0): Promise<string> {
  const entries = (await readFrom(logPath, fromOffset))
    .split("\n")
    .map(parseEntry)
    .filter(
      (entry): entry is LogEntry => !!entry?.msg && (entry.level === "error" || entry.level === "fatal"),
    );
  const last = entries.at(-1);
  if (!last) return "";
  const describe = (entry: LogEntry) =>
    entry.error ? `${entry.msg}: ${entry.error}` : (entry.msg as string);
  const cause = entries.find((entry) => /^nsexec-\d+\[\d+\]: /.test(entry.msg ?? ""));
  if (!cause || cause === last) return describe(last);
  return `${describe(last)} (${(cause.msg as string).replace(/^nsexec-\d+\[\d+\]: /, "")})`;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const file = await open(path, "r").catch(() => undefined);
  if (!file) return "";
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await file.read(buffer, 0, buffer.length, offset);
    return buffer.toString("utf8");
  } finally {
    await file.close();
  }
}

function parseEntry(line: string): LogEntry | undefined {
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return undefined; // a torn or foreign line
  }
}

/** Whether the runtime's message says the process binary does not exist. */
export function isExecutableNotFound(message: string): boolean {
  return /exec/.test(message) && /executable file not found|no such file or directory/.test(message);
}
