import { createHash } from "node:crypto";
import {
  chmod,
  chown,
  copyFile,
  mkdir,
  readFile,
  realpath,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { runChild } from "@grove/child";
import { InvalidImage } from "./errors";
import { buildOnce } from "./store-paths";

/** Bump when the recipe below changes in a way the digest of its inputs would not notice. */
const RECIPE_VERSION = 2;

/**
 * Debian's busybox-static is linked against glibc statically, and glibc still loads its NSS modules
 * (hosts, passwd) at run time: without them `wget` or `nslookup` crash. The stack carries these
 * shared objects (and what they need) from the host's glibc, whose version the static busybox matches.
 */
const NSS_LIBRARIES = [
  "/lib/x86_64-linux-gnu/libnss_files.so.2",
  "/lib/x86_64-linux-gnu/libnss_dns.so.2",
  "/lib/x86_64-linux-gnu/libresolv.so.2",
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib64/ld-linux-x86-64.so.2",
];
const NSSWITCH = "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n";

/** Where Debian's busybox-static puts its binary. */
export const DEFAULT_BUSYBOX = "/bin/busybox";

/** uid/gid of the unprivileged user of the default stack (Cloud Foundry's `vcap`). */
export const VCAP_ID = 2000;

const PASSWD = `root:x:0:0:root:/root:/bin/sh
vcap:x:${VCAP_ID}:${VCAP_ID}:vcap:/home/vcap:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`;
const GROUP = `root:x:0:
vcap:x:${VCAP_ID}:
nogroup:x:65534:
`;
const SHADOW = `root:*:19000:0:99999:7:::
vcap:!:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
`;
const HOSTS = "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n";

/**
 * Debian's busybox is built without adduser/addgroup; these small scripts cover the forms apps and
 * buildpacks use (`adduser -D [-u UID] [-h HOME] [-s SHELL] [-G GROUP] NAME`).
 */
const ADDUSER = `#!/bin/sh
set -e
uid=""; home=""; shell=/bin/sh; group=""
while [ $# -gt 1 ]; do
  case "$1" in
    -D|-S|-H) shift ;;
    -u) uid="$2"; shift 2 ;;
    -h) home="$2"; shift 2 ;;
    -s) shell="$2"; shift 2 ;;
    -G) group="$2"; shift 2 ;;
    -g) shift 2 ;;
    *) break ;;
  esac
done
name="$1"
[ -n "$name" ] || { echo "usage: adduser [-D] [-u UID] [-h HOME] [-s SHELL] [-G GROUP] NAME" >&2; exit 1; }
if grep -q "^$name:" /etc/passwd; then echo "adduser: user '$name' in use" >&2; exit 1; fi
if [ -z "$uid" ]; then
  uid=$(awk -F: 'BEGIN{m=999} $3>m && $3<60000 {m=$3} END{print m+1}' /etc/passwd)
fi
home=\${home:-/home/$name}
if [ -n "$group" ]; then
  gid=$(awk -F: -v g="$group" '$1==g {print $3}' /etc/group)
  [ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
else
  gid="$uid"
  grep -q "^$name:" /etc/group || echo "$name:x:$gid:" >> /etc/group
fi
echo "$name:x:$uid:$gid:$name:$home:$shell" >> /etc/passwd
echo "$name:!:19000:0:99999:7:::" >> /etc/shadow
mkdir -p "$home"
# without CAP_CHOWN (a restricted container) the home stays root-owned rather than failing
chown "$uid:$gid" "$home" 2>/dev/null || true
`;
const ADDGROUP = `#!/bin/sh
set -e
gid=""
while [ $# -gt 1 ]; do
  case "$1" in
    -S) shift ;;
    -g) gid="$2"; shift 2 ;;
    *) break ;;
  esac
done
name="$1"
[ -n "$name" ] || { echo "usage: addgroup [-g GID] NAME" >&2; exit 1; }
if grep -q "^$name:" /etc/group; then echo "addgroup: group '$name' in use" >&2; exit 1; fi
[ -n "$gid" ] || gid=$(awk -F: 'BEGIN{m=999} $3>m && $3<60000 {m=$3} END{print m+1}' /etc/group)
echo "$name:x:$gid:" >> /etc/group
`;

const DIRS: Array<[path: string, mode: number]> = [
  ["bin", 0o755],
  ["sbin", 0o755],
  ["usr", 0o755],
  ["usr/bin", 0o755],
  ["usr/sbin", 0o755],
  ["etc", 0o755],
  ["dev", 0o755],
  ["proc", 0o555],
  ["sys", 0o555],
  ["run", 0o755],
  ["var", 0o755],
  ["var/log", 0o755],
  ["var/tmp", 0o1777],
  ["tmp", 0o1777],
  ["root", 0o700],
  ["home", 0o755],
  ["home/vcap", 0o755],
];

async function appletPaths(busybox: string): Promise<string[]> {
  const stdout = await runChild(busybox, ["--list-full"], {
    hint: "The busybox stack needs busybox-static: run npm run setup.",
  });
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.includes(".."));
}

async function fileDigest(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

const versionCache = new Map<string, string>();

/** The version id of the default stack: changes whenever busybox or this recipe changes. */
export async function busyboxStackVersion(busybox = DEFAULT_BUSYBOX): Promise<string> {
  // hashing busybox on every create would cost a 2 MB read; its identity and times say enough
  const st = await stat(busybox);
  const identity = `${busybox}|${st.dev}|${st.ino}|${st.size}|${st.mtimeMs}|${st.ctimeMs}`;
  const cached = versionCache.get(identity);
  if (cached) return cached;
  const recipe = JSON.stringify([RECIPE_VERSION, PASSWD, GROUP, SHADOW, HOSTS, ADDUSER, ADDGROUP, DIRS]);
  const libraries = await presentNssLibraries();
  const libraryIds = await Promise.all(
    libraries.map(async (library) => {
      const info = await stat(await realpath(library));
      return `${library}|${info.size}|${info.mtimeMs}`;
    }),
  );
  const digest = createHash("sha256")
    .update(recipe)
    .update(JSON.stringify([NSSWITCH, libraryIds]))
    .update(await fileDigest(busybox))
    .digest("hex");
  const version = `busybox-${digest.slice(0, 16)}`;
  versionCache.set(identity, version);
  return version;
}

async function writeTree(root: string, busybox: string): Promise<void> {
  for (const [path, mode] of DIRS) {
    await mkdir(join(root, path), { recursive: true });
    await chmod(join(root, path), mode);
  }
  await chown(join(root, "home/vcap"), VCAP_ID, VCAP_ID);
  await copyFile(busybox, join(root, "bin/busybox"));
  await chmod(join(root, "bin/busybox"), 0o755);
  const owned = new Set(["bin/busybox", "usr/sbin/adduser", "usr/sbin/addgroup"]);
  for (const applet of await appletPaths(busybox)) {
    if (owned.has(applet)) continue;
    owned.add(applet);
    await mkdir(dirname(join(root, applet)), { recursive: true });
    await symlink("/bin/busybox", join(root, applet));
  }
  const files: Array<[path: string, content: string, mode: number]> = [
    ["etc/passwd", PASSWD, 0o644],
    ["etc/group", GROUP, 0o644],
    ["etc/shadow", SHADOW, 0o640],
    ["etc/hosts", HOSTS, 0o644],
    ["etc/resolv.conf", "", 0o644],
    ["etc/hostname", "localhost\n", 0o644],
    ["etc/nsswitch.conf", NSSWITCH, 0o644],
    ["usr/sbin/adduser", ADDUSER, 0o755],
    ["usr/sbin/addgroup", ADDGROUP, 0o755],
  ];
  for (const [path, content, mode] of files) {
    await writeFile(join(root, path), content);
    await chmod(join(root, path), mode);
  }
  for (const library of await presentNssLibraries()) {
    const target = join(root, library);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(await realpath(library), target);
    await chmod(target, 0o755);
  }
}

/** The NSS libraries this host has (another architecture or libc simply goes without). */
async function presentNssLibraries(): Promise<string[]> {
  const present: string[] = [];
  for (const library of NSS_LIBRARIES) {
    if (
      await stat(library).then(
        () => true,
        () => false,
      )
    )
      present.push(library);
  }
  return present;
}

export interface BuiltStack {
  /** unique id of this build's contents; changes when busybox or the recipe changes */
  version: string;
  /** the rootfs directory (owned by host root; never written to once built) */
  rootfs: string;
}

/**
 * Builds the default "busybox" rootfs under `storeDir/stacks/<version>/rootfs`, once: an existing
 * build of the same version is reused, and a change of busybox or of the recipe builds a new one.
 */
export async function ensureBusyboxStack(storeDir: string, busybox = DEFAULT_BUSYBOX): Promise<BuiltStack> {
  try {
    await stat(busybox);
  } catch (err) {
    throw new InvalidImage("", `${busybox} not found (install Debian's busybox-static)`, { cause: err });
  }
  const version = await busyboxStackVersion(busybox);
  const finalDir = join(storeDir, "stacks", version);
  const rootfs = join(finalDir, "rootfs");
  await buildOnce(storeDir, "stack", finalDir, async (scratch) => {
    await mkdir(join(scratch, "rootfs"));
    await chmod(join(scratch, "rootfs"), 0o755);
    await writeTree(join(scratch, "rootfs"), busybox);
  });
  return { version, rootfs };
}
