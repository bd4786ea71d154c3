import { Socket } from "node:net";

interface DirectHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/**
 * Node's private keys for reading a socket into the caller's buffer. `onread` offers that only to
 * sockets the caller connects, not to those a server accepts; found once by name, so a Node
 * without them leaves accepted sockets on ordinary "data" events.
 */
const keys = (() => {
  const probe = new Socket();
  const byName = new Map(Object.getOwnPropertySymbols(probe).map((key) => [key.description, key]));
  probe.destroy();
  const buffer = byName.get("kBuffer");
  const callback = byName.get("kBufferCb");
  const generator = byName.get("kBufferGen");
  return buffer && callback && generator ? { buffer, callback, generator } : undefined;
})();

/**
 * Makes a paused socket a server accepted read into `buffer` as `connect({ onread })` does: each
 * read calls `onRead` with the bytes read into it, which are overwritten by the next read of any
 * socket sharing it (copy what must outlive the call). Skips the stream machinery and a buffer
 * per read. False when this Node does not allow it: then read "data" events.
 */
export function readDirectly(socket: Socket, buffer: Buffer, onRead: (bytes: number) => void): boolean {
  const handle = (socket as unknown as { _handle?: DirectHandle | null })._handle;
  if (keys === undefined || typeof handle?.useUserBuffer !== "function") return false;
  const fields = socket as unknown as Record<symbol, unknown>;
  fields[keys.buffer] = buffer;
  // a callback returning false stops reading: this one returns nothing
  fields[keys.callback] = (bytes: number) => {
    onRead(bytes);
  };
  fields[keys.generator] = null;
  handle.useUserBuffer(buffer);
  return true;
}
