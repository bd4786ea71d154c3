import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";
import type { Container, Process } from "@grove/garden";
import {
  decode,
  ExecControl,
  ExecOutput,
  ExecReply,
  ExecRequest,
  encode,
  MAX_EXEC_CHUNK_BYTES,
  type StartInstance,
  subjects,
} from "@grove/protocol";
import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { CreditWindow, WindowClosed } from "./credit-window";
import { execPlace, instanceEnv } from "./instances";

/** What survives an agent restart of an exec: enough to find its process again. */
interface SessionRecord {
  execId: string;
  tenantId: string;
  instanceId: string;
  processId: string;
}

interface Session {
  execId: string;
  tenantId: string;
  process: Process;
  control: Subscription;
  stdin?: Writable;
  attached: boolean;
  /** the credit of each attach streaming the output */
  windows: Map<string, CreditWindow>;
  exitCode?: number;
  release(): void;
}

export interface ExecSessionsOptions {
  nats: NatsConnection;
  /** this cell: exec requests, controls and output travel on its own subjects */
  cellId: string;
  /** the live container and spec of an instance on this cell (see `InstanceManager.execTarget`) */
  execTarget(instanceId: string): { container: Container; spec: StartInstance } | undefined;
  /** where each running exec is recorded, so a restarted agent takes it up again */
  stateDir: string;
  log: Logger;
  /** how long a finished exec can still be attached to (its output read again) */
  lingerMs?: number;
  /** a process nobody attaches to within this time is killed, so a lost client leaves nothing behind */
  attachTimeoutMs?: number;
}

type ReplyBody = { ok: boolean; notFound?: boolean; error?: string };

/**
 * `grove exec` on a cell: runs processes in instances' containers on request of the api, streams
 * their output from the first byte to whoever attaches, and passes on stdin, signals and resizes.
 * An exec is bound to the tenant that started it; any other tenant is told it does not exist.
 * Each exec is recorded in `<stateDir>/<execId>.json` until it is forgotten, so an agent restarted
 * while it runs attaches to its process again and goes on serving it.
 */
export class ExecSessions {
  readonly #sessions = new Map<string, Session>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #requests?: Subscription;

  constructor(private readonly options: ExecSessionsOptions) {}

  /**
   * Takes up the execs recorded before a restart whose processes are still there (call after the
   * instances were re-adopted); forgets the others. Returns how many were taken up.
   */
  async restore(): Promise<number> {
    await mkdir(this.options.stateDir, { recursive: true, mode: 0o700 });
    let restored = 0;
    for (const name of await readdir(this.options.stateDir)) {
      if (!name.endsWith(".json")) continue;
      const file = join(this.options.stateDir, name);
      const record = await readFile(file, "utf8")
        .then((text) => JSON.parse(text) as SessionRecord)
        .catch(() => undefined);
      const target = record && this.options.execTarget(record.instanceId);
      const process = await target?.container.attach(record?.processId ?? "").catch(() => undefined);
      if (!record || !target || !process || target.spec.tenantId !== record.tenantId) {
        await rm(file, { force: true });
        continue;
      }
      const log = this.options.log.child({ component: "agent.exec", execId: record.execId });
      this.#open(record, process, target.container.hold(), log);
      restored += 1;
    }
    return restored;
  }

  /** Answers exec requests for this cell until `close()`. */
  listen(): void {
    this.#requests = this.options.nats.subscribe(subjects.exec(this.options.cellId), {
      callback: (error, msg) => {
        if (!error) void this.#start(msg);
      },
    });
  }

  /** Stops answering; running exec'd processes are left to finish on their own. */
  close(): void {
    this.#requests?.unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    // The records stay: an agent started again takes these execs up.
    for (const session of this.#sessions.values()) this.#forget(session, true);
  }

  async #start(msg: Msg): Promise<void> {
    const reply = (body: ReplyBody): void => {
      msg.respond(encode(ExecReply, { v: 1, ...body }));
    };
    const decoded = decode(ExecRequest, msg.data, msg.subject);
    if (!decoded.ok) return reply({ ok: false, error: decoded.error.message });
    const request = decoded.value;
    const log = this.options.log.child({ component: "agent.exec", execId: request.execId });
    const existing = this.#sessions.get(request.execId);
    if (existing)
      return reply(existing.tenantId === request.tenantId ? { ok: true } : { ok: false, notFound: true });
    const target = this.options.execTarget(request.instanceId);
    if (!target || target.spec.tenantId !== request.tenantId) {
      return reply({
        ok: false,
        notFound: true,
        error: `instance ${request.instanceId} is not running here`,
      });
    }
    const [path, ...args] = request.command as [string, ...string[]];
    let process: Process;
    const release = target.container.hold();
    const record: SessionRecord = {
      execId: request.execId,
      tenantId: request.tenantId,
      instanceId: request.instanceId,
      processId: `exec-${request.execId}`,
    };
    try {
      await writeFile(this.#recordFile(record.execId), JSON.stringify(record), { mode: 0o600 });
      process = await target.container.run({
        id: record.processId,
        path,
        args,
        // as the start process runs: a docker app's image user and working directory
        ...execPlace(target.spec),
        env: [...instanceEnv(target.spec), ...Object.entries(request.env).map(([k, v]) => `${k}=${v}`)],
        tty: request.tty ? { windowSize: request.tty } : undefined,
        // the process waits for its reader rather than have output rotated away unread
        holdOutput: true,
      });
    } catch (error) {
      release();
      await rm(this.#recordFile(record.execId), { force: true });
      log.info({ err: error }, "exec failed to start");
      return reply({ ok: false, error: `cannot run ${path}: ${(error as Error).message}` });
    }
    this.#open(record, process, release, log);
    log.info({ instanceId: request.instanceId, path, tty: request.tty !== undefined }, "exec started");
    reply({ ok: true });
  }

  /** Serves a running exec: its control subject, the attach deadline, its exit and linger. */
  #open(record: SessionRecord, process: Process, release: () => void, log: Logger): void {
    const session: Session = {
      execId: record.execId,
      tenantId: record.tenantId,
      process,
      attached: false,
      windows: new Map(),
      release,
      control: this.options.nats.subscribe(subjects.execControl(this.options.cellId, record.execId), {
        callback: (err, control) => {
          if (!err) void this.#control(session, control, log);
        },
      }),
    };
    this.#sessions.set(record.execId, session);
    this.#later(this.options.attachTimeoutMs ?? 60_000, () => {
      if (!session.attached && session.exitCode === undefined) void process.signal("kill").catch(() => {});
    });
    process.wait().then(
      (code) => {
        session.exitCode = code;
        log.info({ exitCode: code }, "exec exited");
        this.#later(this.options.lingerMs ?? 60_000, () => this.#forget(session));
      },
      () => this.#forget(session),
    );
  }

  #recordFile(execId: string): string {
    return join(this.options.stateDir, `${execId}.json`);
  }

  async #control(session: Session, msg: Msg, log: Logger): Promise<void> {
    const reply = (body: ReplyBody): void => {
      msg.respond(encode(ExecReply, { v: 1, ...body }));
    };
    const decoded = decode(ExecControl, msg.data, msg.subject);
    if (!decoded.ok) return reply({ ok: false, error: decoded.error.message });
    if (decoded.value.tenantId !== session.tenantId) return reply({ ok: false, notFound: true });
    const action = decoded.value.action;
    try {
      switch (action.type) {
        case "attach": {
          session.attached = true;
          const window = new CreditWindow(action.window);
          session.windows.get(action.attachId)?.close("attached again");
          session.windows.set(action.attachId, window);
          reply({ ok: true });
          await this.#stream(session, action.attachId, window, log);
          if (session.windows.get(action.attachId) === window) session.windows.delete(action.attachId);
          return;
        }
        case "credit":
          session.windows.get(action.attachId)?.grant(action.bytes);
          return reply({ ok: true });
        case "stdin":
          if (session.exitCode !== undefined) return reply({ ok: false, error: "the process has exited" });
          session.stdin ??= session.process.stdin();
          await writeTo(session.stdin, Buffer.from(action.data, "base64"));
          if (action.eof) session.stdin.end();
          return reply({ ok: true });
        case "signal":
          if (session.exitCode === undefined) await session.process.signal(action.signal);
          return reply({ ok: true });
        case "resize":
          await session.process.resize({ columns: action.columns, rows: action.rows });
          return reply({ ok: true });
      }
    } catch (error) {
      log.info({ err: error, action: action.type }, "exec control failed");
      reply({ ok: false, error: (error as Error).message });
    }
  }

  /**
   * Publishes stdout and stderr from their first byte, in order, then the exit code. Each chunk
   * takes its size from the attach's credit first; with none left the output is not read on, so
   * neither NATS nor this agent holds more than the window, and the process (run with
   * `holdOutput`, its reads acknowledged) blocks on its output once it is the output cap ahead. A window closed (the attach was
   * replaced, the exec forgotten, or no credit came for long) ends the stream.
   */
  async #stream(session: Session, attachId: string, window: CreditWindow, log: Logger): Promise<void> {
    const subject = subjects.execOutput(this.options.cellId, session.execId, attachId);
    let seq = 0;
    const outputs = {
      stdout: session.process.stdout({ acknowledge: true }),
      stderr: session.process.stderr({ acknowledge: true }),
    };
    const pump = async (stream: "stdout" | "stderr", readable: Readable) => {
      for await (const chunk of readable as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; ) {
          const n = await window.take(Math.min(MAX_EXEC_CHUNK_BYTES, chunk.length - at));
          const data = chunk.subarray(at, at + n).toString("base64");
          at += n;
          this.options.nats.publish(
            subject,
            encode(ExecOutput, { v: 1, seq: seq++, event: { type: "output", stream, data } }),
          );
        }
      }
    };
    try {
      await Promise.all([pump("stdout", outputs.stdout), pump("stderr", outputs.stderr)]);
    } catch (error) {
      outputs.stdout.destroy();
      outputs.stderr.destroy();
      if (error instanceof WindowClosed)
        return log.info({ attachId, reason: error.message }, "exec attach ended");
      throw error;
    }
    const exitCode = await session.process.wait();
    this.options.nats.publish(
      subject,
      encode(ExecOutput, { v: 1, seq: seq++, event: { type: "exit", exitCode } }),
    );
  }

  #forget(session: Session, keepRecord = false): void {
    if (this.#sessions.get(session.execId) !== session) return;
    this.#sessions.delete(session.execId);
    session.control.unsubscribe();
    for (const window of session.windows.values()) window.close("exec forgotten");
    session.release();
    if (!keepRecord) void rm(this.#recordFile(session.execId), { force: true });
  }

  #later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }
}

function writeTo(stream: Writable, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(data, (error) => (error ? reject(error) : resolve()));
  });
}
