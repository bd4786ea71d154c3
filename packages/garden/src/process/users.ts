import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { resolveInRoot } from "../container/resolve-in-root";
import { InvalidSpec } from "../errors";

export interface ResolvedUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * Resolves a Garden user ("name", "uid" or "uid:gid"; default root) through the container's
 * /etc/passwd, read from the rootfs on the host side.
 */
export async function resolveUser(rootfsPath: string, user: string | undefined): Promise<ResolvedUser> {
  const wanted = user || "root";
  const entries = await readPasswd(rootfsPath);
  const numeric = /^(\d+)(?::(\d+))?$/.exec(wanted);
  if (numeric) {
    const uid = Number(numeric[1]);
    const entry = entries.find((candidate) => candidate.uid === uid);
    const gid = numeric[2] !== undefined ? Number(numeric[2]) : (entry?.gid ?? uid);
    return { name: entry?.name ?? String(uid), uid, gid, home: entry?.home ?? "/" };
  }
  const entry = entries.find((candidate) => candidate.name === wanted);
  if (entry) return entry;
  if (wanted === "root") return { name: "root", uid: 0, gid: 0, home: "/root" };
  throw new InvalidSpec(`user "${wanted}" not found in the container's /etc/passwd`);
}

const maxPasswdBytes = 4 << 20;

async function readPasswd(rootfsPath: string): Promise<ResolvedUser[]> {
  // The container controls its /etc/passwd: resolve links inside its root, and read only a
  // plain file of sane size (a link to a host file or to /dev/zero must not reach us).
  // What is checked is what is read: one descriptor, opened without following a link and without
  // waiting for a writer (a fifo swapped in after a check would block us forever).
  const path = await resolveInRoot(rootfsPath, "/etc/passwd");
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    () => undefined,
  );
  if (!handle) return [];
  const text = await readSmallFile(handle).finally(() => handle.close());
  return text
    .split("\n")
    .map((line) => line.split(":"))
    .filter((fields) => fields.length >= 6 && /^\d+$/.test(fields[2] ?? "") && /^\d+$/.test(fields[3] ?? ""))
    .map((fields) => ({
      name: fields[0] as string,
      uid: Number(fields[2]),
      gid: Number(fields[3]),
      home: fields[5] || "/",
    }));
}

async function readSmallFile(handle: FileHandle): Promise<string> {
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > maxPasswdBytes) return "";
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } catch {
    return "";
  }
}
