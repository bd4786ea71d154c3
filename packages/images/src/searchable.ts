import { chmod, mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { StoreNotReachable } from "./errors";

/**
 * A user-namespaced container's root is an unprivileged host uid: runc can only reach its rootfs
 * if every directory above it is searchable by others. The store dir itself is ours and is fixed
 * up; a directory above it is the operator's, so that is refused with a message saying which one.
 */
export async function ensureSearchableStore(storeDir: string): Promise<void> {
  await mkdir(storeDir, { recursive: true });
  const own = await stat(storeDir);
  if ((own.mode & 0o001) === 0) await chmod(storeDir, (own.mode & 0o7777) | 0o011);
  for (let dir = dirname(storeDir); ; dir = dirname(dir)) {
    const st = await stat(dir);
    if ((st.mode & 0o001) === 0) throw new StoreNotReachable(dir);
    if (dir === "/") return;
  }
}
