import { readFileSync } from "node:fs";

/** uid and gid of a local account, read from /etc/passwd. */
export function systemUser(name: string): { uid: number; gid: number } {
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(`no user ${name} in /etc/passwd (is PostgreSQL installed? run: npm run setup)`);
}
