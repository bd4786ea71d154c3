import type { Process } from "@grove/garden";

interface Entry {
  process: Process;
  handle: string;
  timer?: NodeJS.Timeout;
}

/**
 * Stream ids handed out by Run and Attach, each naming one process whose stdout and stderr the
 * client then fetches on side connections. Like the reference streamer, an id stays valid for a
 * while after its main connection ended, so late side connections still find it.
 */
export class StreamRegistry {
  private next = 0;
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly lingerMs = 60_000) {}

  open(handle: string, process: Process): string {
    this.next += 1;
    const id = String(this.next);
    this.entries.set(id, { process, handle });
    return id;
  }

  /** The process of a stream id, if the id was handed out for this handle and process. */
  lookup(streamId: string, handle: string, processId: string): Process | undefined {
    const entry = this.entries.get(streamId);
    return entry && entry.handle === handle && entry.process.id === processId ? entry.process : undefined;
  }

  /** The main connection ended; forget the id after the linger time. */
  release(streamId: string): void {
    const entry = this.entries.get(streamId);
    if (!entry || entry.timer) return;
    entry.timer = setTimeout(() => this.entries.delete(streamId), this.lingerMs);
    entry.timer.unref();
  }

  clear(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.timer);
    this.entries.clear();
  }
}
