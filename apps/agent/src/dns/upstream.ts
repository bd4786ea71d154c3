import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { withId } from "./wire";

/**
 * The resolvers the cell forwards names it does not own to (GROVE_DNS_RESOLVERS or the host's
 * resolv.conf), tried in order, each for `timeoutMs`. A forwarded query leaves from a fresh socket
 * with a new random id, and only an answer from the server asked with that id is taken.
 */
export class UpstreamResolvers {
  constructor(
    private readonly servers: readonly string[],
    private readonly timeoutMs = 2_000,
    private readonly port = 53,
  ) {}

  async forward(message: Uint8Array, transport: "udp" | "tcp"): Promise<Uint8Array | undefined> {
    if (message.length < 12) return undefined;
    const id = (message[0] as number) * 256 + (message[1] as number);
    for (const server of this.servers) {
      const ours = randomInt(0, 65_536);
      const sent = withId(message, ours);
      const answer =
        transport === "udp" ? await this.#udp(server, sent, ours) : await this.#tcp(server, sent, ours);
      if (answer) return withId(answer, id);
    }
    return undefined;
  }

  #udp(server: string, message: Uint8Array, id: number): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      const socket = createSocket("udp4");
      const done = (answer: Uint8Array | undefined) => {
        clearTimeout(timer);
        socket.close();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      socket.on("error", () => done(undefined));
      socket.on("message", (answer, from) => {
        if (from.address === server && from.port === this.port && idOf(answer) === id) done(answer);
      });
      socket.send(message, this.port, server, (error) => {
        if (error) done(undefined);
      });
    });
  }

  #tcp(server: string, message: Uint8Array, id: number): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: server, port: this.port });
      let received: Buffer = Buffer.alloc(0);
      const done = (answer: Uint8Array | undefined) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(undefined), this.timeoutMs);
      socket.on("error", () => done(undefined));
      socket.on("connect", () => socket.write(framed(message)));
      socket.on("data", (chunk) => {
        received = Buffer.concat([received, chunk]);
        const frame = nextFrame(received);
        if (frame) done(idOf(frame.message) === id ? frame.message : undefined);
      });
      socket.on("end", () => done(undefined));
    });
  }
}

/** A DNS message as TCP carries it: a two-byte length first. */
export function framed(message: Uint8Array): Buffer {
  const out = Buffer.alloc(2 + message.length);
  out.writeUInt16BE(message.length, 0);
  out.set(message, 2);
  return out;
}

/** The first whole length-prefixed message of `buffer` and what follows it; undefined until whole. */
export function nextFrame(buffer: Buffer): { message: Buffer; rest: Buffer } | undefined {
  if (buffer.length < 2) return undefined;
  const length = buffer.readUInt16BE(0);
  if (buffer.length < 2 + length) return undefined;
  return { message: buffer.subarray(2, 2 + length), rest: buffer.subarray(2 + length) };
}

function idOf(message: Uint8Array): number {
  return message.length < 2 ? -1 : (message[0] as number) * 256 + (message[1] as number);
}
