import { closeSync, openSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { WindowSize } from "../types";

/** Frame types of the monitor's control socket (see monitor/grove-monitor.c). */
const STDIN_DATA = 0x64; // 'd'
const STDIN_CLOSE = 0x63; // 'c'
const RESIZE = 0x72; // 'r'
const OUTPUT_TAKEN = 0x61; // 'a'
/** to an init monitor: fork the monitor of a new process of the container */
export const SPAWN_MONITOR = 0x78; // 'x'

export function frame(type: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(5);
  header[0] = type;
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export const stdinFrame = (data: Buffer) => frame(STDIN_DATA, data);
export const closeStdinFrame = () => frame(STDIN_CLOSE);
export function resizeFrame(size: WindowSize): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt16BE(Math.min(size.rows, 0xffff), 0);
  payload.writeUInt16BE(Math.min(size.columns, 0xffff), 2);
  return frame(RESIZE, payload);
}

/** Tells a monitor holding output (hold-output) that a reader took `bytes` of a stream. */
export function outputTakenFrame(stream: "stdout" | "stderr", bytes: number): Buffer {
  const payload = Buffer.alloc(5);
  payload[0] = stream === "stdout" ? 0 : 1;
  payload.writeUInt32BE(bytes, 1);
  return frame(OUTPUT_TAKEN, payload);
}

/**
 * Connects to a process's control socket. Depot paths can exceed the ~107 bytes a unix socket
 * address allows, so the connection goes through a short /proc/self/fd path to the directory.
 */
export async function connectControl(processDir: string): Promise<Socket> {
  const direct = join(processDir, "control.sock");
  if (Buffer.byteLength(direct) < 100) return connectTo(direct);
  const dirFd = openSync(processDir, "r");
  try {
    return await connectTo(`/proc/self/fd/${dirFd}/control.sock`);
  } finally {
    closeSync(dirFd);
  }
}

function connectTo(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}
