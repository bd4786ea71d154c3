import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { decode, encode, subjects, VolumeTransferReply, VolumeTransferRequest } from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { execa } from "execa";
import type { Logger } from "pino";
import type { VolumeStore } from "./volume-store";

export interface VolumeTransfersOptions {
  nats: NatsConnection;
  /** this cell: transfers are asked on its own subject */
  cellId: string;
  volumes: VolumeStore;
  /** the instances on this cell whose container mounts a volume */
  mounting(volumeId: string): string[];
  /** root-only directory of the archives being sent or received (emptied on start) */
  dir: string;
  log: Logger;
  /** an archive untouched this long is removed (the api gave up) */
  idleMs?: number;
}

type Request = VolumeTransferRequest;
type Reply = Omit<VolumeTransferReply, "v">;

/**
 * Volume data in and out of this cell, on the api's request: an export archives (tar) a volume's
 * files, frozen meanwhile, into a spool file the api reads piece by piece; an import is written
 * piece by piece into a spool file, checked against its size and sha256 and unpacked into the
 * volume made afresh. The cell only answers; it never reads the object store or another cell's data.
 */
export class VolumeTransfers {
  #requests?: Subscription;
  #sweep?: NodeJS.Timeout;
  /** when each spool was last used */
  readonly #used = new Map<string, number>();

  constructor(private readonly options: VolumeTransfersOptions) {}

  /** Empties the spool directory (transfers of an earlier run are given up) and answers requests. */
  async listen(): Promise<void> {
    await rm(this.options.dir, { recursive: true, force: true });
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    this.#requests = this.options.nats.subscribe(subjects.volumeTransfers(this.options.cellId), {
      callback: (error, msg) => {
        if (!error) void this.#answer(msg);
      },
    });
    const idleMs = this.options.idleMs ?? 10 * 60_000;
    this.#sweep = setInterval(() => void this.#removeIdle(idleMs), Math.min(idleMs, 60_000));
    this.#sweep.unref();
  }

  close(): void {
    this.#requests?.unsubscribe();
    clearInterval(this.#sweep);
  }

  async #answer(msg: Msg): Promise<void> {
    const respond = (reply: Reply) => msg.respond(encode(VolumeTransferReply, { v: 1, ...reply }));
    const decoded = decode(VolumeTransferRequest, msg.data, msg.subject);
    if (!decoded.ok) return void respond({ ok: false, error: decoded.error.message });
    const request = decoded.value;
    try {
      respond(await this.#carryOut(request));
    } catch (error) {
      const log = this.options.log.child({ transferId: request.transferId, action: request.action.type });
      log.warn({ err: (error as Error).message }, "volume transfer step failed");
      respond({ ok: false, error: (error as Error).message });
    }
  }

  async #carryOut({ transferId, action }: Request): Promise<Reply> {
    const spool = join(this.options.dir, `${transferId}.tar`);
    this.#used.set(transferId, Date.now());
    switch (action.type) {
      case "export":
        return this.#export(action.volumeId, action.idle, spool);
      case "read": {
        const file = await open(spool, "r");
        try {
          const buffer = Buffer.alloc(action.length);
          const { bytesRead } = await file.read(buffer, 0, action.length, action.offset);
          return { ok: true, data: buffer.subarray(0, bytesRead).toString("base64") };
        } finally {
          await file.close();
        }
      }
      case "write": {
        const file = await open(spool, "a+", 0o600).then(async (made) => {
          await made.close();
          return open(spool, "r+");
        });
        try {
          const data = Buffer.from(action.data, "base64");
          await file.write(data, 0, data.length, action.offset);
          return { ok: true };
        } finally {
          await file.close();
        }
      }
      case "import":
        await this.#import(action, spool);
        await this.#discard(transferId, spool);
        return { ok: true };
      case "discard":
        await this.#discard(transferId, spool);
        return { ok: true };
    }
  }

  async #export(volumeId: string, idle: boolean, spool: string): Promise<Reply> {
    const holders = this.options.mounting(volumeId);
    if (idle && holders.length > 0)
      throw new Error(`volume ${volumeId} is still mounted by instance ${holders.join(", ")}`);
    const started = Date.now();
    await this.options.volumes.frozen(volumeId, (dir) =>
      execa("tar", [
        "--create",
        "--file",
        spool,
        "--numeric-owner",
        "--exclude=./lost+found",
        "-C",
        dir,
        ".",
      ]),
    );
    const { bytes, sha256 } = await digestOf(spool);
    this.options.log.info({ volumeId, bytes, ms: Date.now() - started }, "volume archived");
    return { ok: true, bytes, sha256 };
  }

  async #import(action: Extract<Request["action"], { type: "import" }>, spool: string): Promise<void> {
    const holders = this.options.mounting(action.volumeId);
    if (holders.length > 0)
      throw new Error(`volume ${action.volumeId} is mounted by instance ${holders.join(", ")}`);
    const { bytes, sha256 } = await digestOf(spool);
    if (bytes !== action.bytes || sha256 !== action.sha256)
      throw new Error(`volume archive arrived damaged: ${bytes} bytes, sha256 ${sha256}`);
    // a volume holds what containers (unprivileged, nodev) can make: no device nodes
    const listing = await execa("tar", ["--list", "--verbose", "--numeric-owner", "--file", spool]);
    if (/^[bc]/m.test(listing.stdout)) throw new Error("volume archive holds device nodes");
    // GNU tar refuses members with `..` or absolute names and makes unsafe symlinks last
    await this.options.volumes.replace(action.volumeId, action.sizeMb, async (dir) => {
      await execa("tar", ["--extract", "--file", spool, "--numeric-owner", "--same-permissions", "-C", dir]);
    });
    this.options.log.info({ volumeId: action.volumeId, bytes }, "volume unpacked");
  }

  async #discard(transferId: string, spool: string): Promise<void> {
    this.#used.delete(transferId);
    await rm(spool, { force: true });
  }

  async #removeIdle(idleMs: number): Promise<void> {
    for (const [transferId, at] of this.#used) {
      if (Date.now() - at < idleMs) continue;
      await this.#discard(transferId, join(this.options.dir, `${transferId}.tar`));
    }
  }
}

async function digestOf(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { bytes: (await stat(path)).size, sha256: hash.digest("hex") };
}
