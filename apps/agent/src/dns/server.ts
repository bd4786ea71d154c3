import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import type { Logger } from "pino";
import { answerQuery, type ResolverDeps } from "./resolver";
import { framed, nextFrame } from "./upstream";

/** Queries answered at once per transport; more are dropped (the stub resolver asks again). */
const MAX_IN_FLIGHT = 512;
/** A TCP client that sends nothing for this long is closed. */
const TCP_IDLE_MS = 10_000;
/** How often binding is tried again while the address is not on the host yet (the bridge comes with the first container). */
const BIND_RETRY_MS = 250;

export interface CellDnsServerOptions extends ResolverDeps {
  /** the cell bridge's address (containers' nameserver) */
  address: string;
  /** default 53 (resolv.conf cannot name another) */
  port?: number;
  log: Logger;
}

/**
 * The cell's resolver for its containers, on UDP and TCP at the bridge's address: app-internal names
 * from the caller's tenant (`answerQuery`), the rest forwarded upstream. Until the bridge exists (no
 * container yet) binding is tried again every 250 ms; no container can ask before then.
 */
export class CellDnsServer {
  #udp: Socket | undefined;
  #tcp: Server | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  #inFlight = 0;
  readonly #log: Logger;

  constructor(private readonly options: CellDnsServerOptions) {
    this.#log = options.log.child({ component: "agent.dns", address: options.address });
  }

  /** Resolves once both sockets listen, or at once if the address is not there yet (bound later). */
  async start(): Promise<void> {
    try {
      await this.#bind();
      this.#log.info({ port: this.#port }, "cell resolver listening");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL") throw error;
      this.#log.info("the bridge has no address yet; the resolver listens once it has");
      this.#retry = setTimeout(() => void this.start(), BIND_RETRY_MS);
      this.#retry.unref();
    }
  }

  /** Whether both sockets listen. */
  get listening(): boolean {
    return this.#udp !== undefined && this.#tcp !== undefined;
  }

  get #port(): number {
    return this.options.port ?? 53;
  }

  async #bind(): Promise<void> {
    if (this.#closed) return;
    const udp = createSocket("udp4");
    await new Promise<void>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(this.#port, this.options.address, () => {
        udp.off("error", reject);
        resolve();
      });
    });
    const tcp = createServer((socket) => this.#serveTcp(socket));
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once("error", reject);
        tcp.listen(this.#port, this.options.address, () => {
          tcp.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      udp.close();
      throw error;
    }
    udp.on("error", (err) => this.#log.warn({ err }, "resolver socket error"));
    udp.on("message", (message, from) => {
      void this.#answer(message, from.address, "udp").then((answer) => {
        if (answer && !this.#closed) udp.send(answer, from.port, from.address);
      });
    });
    tcp.on("error", (err) => this.#log.warn({ err }, "resolver listener error"));
    this.#udp = udp;
    this.#tcp = tcp;
    if (this.#closed) await this.close();
  }

  #serveTcp(socket: import("node:net").Socket): void {
    let buffered: Buffer = Buffer.alloc(0);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (let frame = nextFrame(buffered); frame; frame = nextFrame(buffered)) {
        buffered = frame.rest;
        void this.#answer(frame.message, socket.remoteAddress ?? "", "tcp").then((answer) => {
          if (answer && !socket.destroyed) socket.write(framed(answer));
        });
      }
    });
  }

  async #answer(
    message: Uint8Array,
    caller: string,
    transport: "udp" | "tcp",
  ): Promise<Uint8Array | undefined> {
    if (this.#inFlight >= MAX_IN_FLIGHT) return undefined;
    this.#inFlight += 1;
    try {
      return await answerQuery(message, caller.replace(/^::ffff:/, ""), transport, this.options);
    } catch (err) {
      this.#log.warn({ err }, "query not answered");
      return undefined;
    } finally {
      this.#inFlight -= 1;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const udp = this.#udp;
    const tcp = this.#tcp;
    this.#udp = undefined;
    this.#tcp = undefined;
    udp?.close();
    await new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve()));
  }
}
