import { randomBytes } from "node:crypto";
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ContainerNetwork } from "../seams";
import type { ContainerSpec } from "../types";

/** Where removed containers' directories wait for deletion (dot names are not handles). */
const trashName = ".trash";

/** What the depot records about one container (container.json). */
export interface ContainerRecord {
  handle: string;
  spec: ContainerSpec;
  /** "creating" until every part exists; such containers are hidden from plain lists */
  phase: "creating" | "created";
  privileged: boolean;
  /** ms since epoch, as a float with sub-ms precision */
  createdAtMs: number;
  rootfsPath?: string;
  network?: ContainerNetwork;
  graceTimeNs?: number;
  stopped?: boolean;
  events?: string[];
}

/**
 * The on-disk truth of which containers exist: `<depot>/<handle>/` with container.json,
 * properties.json, the OCI bundle and one directory per process. Writes go through a temporary
 * file and a rename, so a crash never leaves half a JSON document.
 */
export class Depot {
  constructor(readonly root: string) {}

  dir(handle: string): string {
    return join(this.root, handle);
  }
  bundleDir(handle: string): string {
    return join(this.root, handle, "bundle");
  }
  processesDir(handle: string): string {
    return join(this.root, handle, "processes");
  }
  processDir(handle: string, processId: string): string {
    return join(this.root, handle, "processes", processId);
  }
  initDir(handle: string): string {
    return join(this.root, handle, "init");
  }
  runtimeLog(handle: string): string {
    return join(this.root, handle, "runtime.log");
  }

  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    // Unprivileged containers' root (a high host uid) must traverse into the bundle's bind sources.
    await chmod(this.root, 0o711);
    await rm(join(this.root, trashName), { recursive: true, force: true });
  }

  /** Reserves the handle; false when it already exists. */
  async reserve(record: ContainerRecord): Promise<boolean> {
    try {
      // Traversable (the container's mapped root reaches /etc/hosts through it), not listable.
      await mkdir(this.dir(record.handle), { mode: 0o711 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw error;
    }
    // Process specs carry env (often secrets) and output: for root only.
    await mkdir(this.processesDir(record.handle), { mode: 0o700 });
    await this.writeRecord(record);
    await this.writeProperties(record.handle, record.spec.properties ?? {});
    return true;
  }

  async handles(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
      .map((entry) => entry.name);
  }

  async readRecord(handle: string): Promise<ContainerRecord | undefined> {
    return readJson<ContainerRecord>(join(this.dir(handle), "container.json"));
  }

  async writeRecord(record: ContainerRecord): Promise<void> {
    await writeJson(join(this.dir(record.handle), "container.json"), record);
  }

  async updateRecord(
    handle: string,
    change: (record: ContainerRecord) => void,
  ): Promise<ContainerRecord | undefined> {
    const record = await this.readRecord(handle);
    if (!record) return undefined;
    change(record);
    await this.writeRecord(record);
    return record;
  }

  async readProperties(handle: string): Promise<Record<string, string>> {
    return (await readJson<Record<string, string>>(join(this.dir(handle), "properties.json"))) ?? {};
  }

  async writeProperties(handle: string, properties: Record<string, string>): Promise<void> {
    await writeJson(join(this.dir(handle), "properties.json"), properties);
  }

  /**
   * Gone at once and atomically (a rename into `.trash`), deleted in the background: a crash
   * halfway leaves trash, which the next `init` empties, never half a container.
   */
  async remove(handle: string): Promise<void> {
    const trash = join(this.root, trashName);
    await mkdir(trash, { recursive: true, mode: 0o700 });
    const target = join(trash, `${handle}.${randomBytes(6).toString("hex")}`);
    try {
      await rename(this.dir(handle), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    rm(target, { recursive: true, force: true }).catch(() => {});
  }
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

let sequence = 0;

export async function writeJson(path: string, value: unknown): Promise<void> {
  sequence += 1;
  const temporary = `${path}.${process.pid}.${sequence}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, path);
}
