import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { readJson } from "../depot/depot";

/** What the depot records about a process (processes/<id>/process-record.json). */
export interface ProcessRecord {
  id: string;
  kind: "exec" | "pea";
  tty: boolean;
  createdAtMs: number;
}

export async function readProcessRecord(dir: string): Promise<ProcessRecord | undefined> {
  return readJson<ProcessRecord>(join(dir, "process-record.json"));
}

/** Ids of the container's processes, with whether each has exited (and when). */
export async function listProcesses(
  processesDir: string,
): Promise<Array<{ id: string; dir: string; exitedAtMs?: number }>> {
  const entries = await readdir(processesDir, { withFileTypes: true }).catch(() => []);
  const result = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = join(processesDir, entry.name);
    const exited = await stat(join(dir, "exitcode")).catch(() => undefined);
    result.push({ id: entry.name, dir, ...(exited ? { exitedAtMs: exited.mtimeMs } : {}) });
  }
  return result;
}

/** Whether a finished process is past its retention and may be forgotten. */
export function isExpired(exitedAtMs: number | undefined, retentionMs: number, now = Date.now()): boolean {
  return exitedAtMs !== undefined && now - exitedAtMs > retentionMs;
}

export async function removeProcessDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}
