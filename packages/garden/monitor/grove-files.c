/*
 * grove-files: StreamIn and StreamOut inside a container, where Guardian's nstar does them: every
 * path is looked up inside the container's mount namespace, as the requesting user, so a directory
 * that a process of the container swaps for a symlink (to "/", to anything) in the middle of a
 * stream leads only to places inside the container that this user could reach anyway (docker cp's
 * CVE-2018-15664 cannot happen). The container's image needs no tar.
 *
 * usage: grove-files in  <init pid> <uid> <gid> <path> <source dir>
 *        grove-files out <init pid> <uid> <gid> <path>
 *
 * Before it looks at <path> it opens /proc/<pid>/ns/{user,mnt} (and, for `in`, <source dir> on the
 * host), enters the container's user namespace (unless the container shares the host's) and mount
 * namespace (which moves its root to the container's) as the container's root, and becomes uid:gid
 * as the container knows them before it reads or writes anything of the user's.
 *   in:  as the user, creates <path> like `mkdir -p` (so a user who may not create it there,
 *        e.g. nobody under /root, is refused with "Permission denied", as Garden refuses a user
 *        without permission), then copies the tree under <source dir> (a private host directory
 *        the caller extracted and checked the archive into, owned by the same user) into it:
 *        directories are merged, anything else at a name is replaced. Hard links arrive as
 *        separate files. Symlinks are copied, never followed.
 *   out: writes <path> (with a trailing slash: what it holds, named "./…") as entries on stdout,
 *        never following a symlink below <path>. Each entry is a 40-byte header, little endian:
 *          u8 type ('D' directory, 'F' file, 'L' symlink, 'E' end), 3 zero bytes, u32 mode,
 *          u32 uid, u32 gid, i64 mtime (seconds), u32 name length, u32 link length, u64 size,
 *        then the name, the link target and (files) size bytes of content. 'E' ends the stream.
 * Exit status: 0 done; 2 the request cannot be done as asked (a missing path, a permission, a
 * file in the way; the reason on stderr); 1 anything else.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <linux/capability.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define HEADER_SIZE 40

static char buffer[128 * 1024];

__attribute__((noreturn)) static void die(int status, const char *what, const char *name, int err) {
  fprintf(stderr, "%s%s%s: %s\n", what, name ? " " : "", name ? name : "", strerror(err));
  exit(status);
}

/* A failed call on a path: the request's problem (2) or the helper's (1). */
static void fail(const char *what, const char *name) {
  int err = errno;
  switch (err) {
    case EACCES: case EPERM: case ENOENT: case ENOTDIR: case EISDIR: case ELOOP: case EEXIST:
    case ENOTEMPTY: case ENAMETOOLONG: case EROFS: case ENOSPC: case EDQUOT: case EMLINK:
    case EBUSY: case ETXTBSY: case EINVAL:
      die(2, what, name, err);
    default:
      die(1, what, name, err);
  }
}

/* Becomes uid:gid (supplementary groups dropped, like grove-init does for processes); any other
 * user than root keeps no capability. */
static void become(uid_t uid, gid_t gid) {
  if (setgroups(0, NULL) < 0 && errno != EPERM) die(1, "setgroups", NULL, errno);
  if (setresgid(gid, gid, gid) < 0) die(2, "setgid", NULL, errno);
  if (setresuid(uid, uid, uid) < 0) die(2, "setuid", NULL, errno);
  if (uid != 0) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {{0}};
    if (syscall(SYS_capset, &header, none) < 0) die(1, "capset", NULL, errno);
  }
}

/* Into the container's user (unless it shares the host's) and mount namespaces, as its root. */
static void enter(const char *pid) {
  char path[64];
  struct stat theirs, ours;
  snprintf(path, sizeof path, "/proc/%s/ns/user", pid);
  int user = open(path, O_RDONLY | O_CLOEXEC);
  if (user < 0) die(1, "open", path, errno);
  snprintf(path, sizeof path, "/proc/%s/ns/mnt", pid);
  int mnt = open(path, O_RDONLY | O_CLOEXEC);
  if (mnt < 0) die(1, "open", path, errno);
  if (fstat(user, &theirs) < 0 || stat("/proc/self/ns/user", &ours) < 0) die(1, "stat", "user namespace", errno);
  int own_user_ns = theirs.st_dev != ours.st_dev || theirs.st_ino != ours.st_ino;
  if (own_user_ns && setns(user, CLONE_NEWUSER) < 0) die(1, "setns", "user", errno);
  if (setns(mnt, CLONE_NEWNS) < 0) die(1, "setns", "mnt", errno);
  close(user);
  close(mnt);
  /* nothing in the container may attach to this process, which holds host file descriptors */
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  become(0, 0);
  if (chdir("/") < 0) die(1, "chdir", "/", errno);
  umask(022);
}

/* ---- in ---- */

/* `mkdir -p` as the user, then chdir there: a directory it creates is opened without following
 * links (one swapped for a link fails); existing links on the way resolve in the container. */
static void make_dirs(char *path) {
  int dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) die(1, "open", "/", errno);
  for (char *part = strtok(path, "/"); part; part = strtok(NULL, "/")) {
    int created = mkdirat(dir, part, 0755) == 0;
    if (!created && errno != EEXIST) fail("mkdir", part);
    int next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (created ? O_NOFOLLOW : 0));
    if (next < 0) fail("open", part);
    close(dir);
    dir = next;
  }
  if (fchdir(dir) < 0) die(1, "chdir", "destination", errno);
  close(dir);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st, (void)flag, (void)ftw;
  if (remove(path) < 0 && errno != ENOENT) fail("remove", path);
  return 0;
}

/* Whether `path` already is a directory; anything else there is removed. */
static int clear(const char *path, int keep_dir) {
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) return 0;
    fail("stat", path);
  }
  if (S_ISDIR(st.st_mode)) {
    if (keep_dir) return 1;
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) fail("remove", path);
  } else if (unlink(path) < 0) {
    fail("remove", path);
  }
  return 0;
}

static void copy_file(int source, const char *path, const struct stat *st) {
  int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) fail("create", path);
  for (;;) {
    ssize_t n = read(source, buffer, sizeof buffer);
    if (n < 0) die(1, "read staged", path, errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(out, buffer + done, (size_t)(n - done));
      if (w < 0) fail("write", path);
      done += w;
    }
  }
  if (fchmod(out, st->st_mode & 07777) < 0) fail("chmod", path);
  struct timespec times[2] = {st->st_atim, st->st_mtim};
  futimens(out, times);
  if (close(out) < 0) fail("write", path);
}

static void copy_tree(int source, char *path, size_t length) {
  DIR *dir = fdopendir(source);
  if (!dir) die(1, "opendir staged", path, errno);
  struct dirent *entry;
  while ((errno = 0, entry = readdir(dir))) {
    const char *name = entry->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
    size_t extended = length + 1 + strlen(name);
    if (extended >= PATH_MAX) {
      errno = ENAMETOOLONG;
      fail("create", name);
    }
    path[length] = '/';
    strcpy(path + length + 1, name);
    struct stat st;
    if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) < 0) die(1, "stat staged", path, errno);
    if (S_ISDIR(st.st_mode)) {
      int existed = clear(path, 1);
      if (!existed && mkdir(path, 0700) < 0) fail("mkdir", path);
      /* the staged copy is the user's and private: let the user read it whatever mode it carries */
      fchmodat(dirfd(dir), name, 0700, 0);
      int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0) die(1, "open staged", path, errno);
      copy_tree(child, path, extended);
      path[extended] = 0;
      if (!existed) {
        if (chmod(path, st.st_mode & 07777) < 0) fail("chmod", path);
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
      }
    } else if (S_ISREG(st.st_mode)) {
      clear(path, 0);
      fchmodat(dirfd(dir), name, 0600, 0);
      int file = openat(dirfd(dir), name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      if (file < 0) die(1, "open staged", path, errno);
      copy_file(file, path, &st);
      close(file);
    } else if (S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      ssize_t n = readlinkat(dirfd(dir), name, target, sizeof target - 1);
      if (n < 0) die(1, "readlink staged", path, errno);
      target[n] = 0;
      clear(path, 0);
      if (symlink(target, path) < 0) fail("symlink", path);
      struct timespec times[2] = {st.st_atim, st.st_mtim};
      utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW);
    }
    path[length] = 0;
  }
  if (errno) die(1, "readdir staged", path, errno);
  closedir(dir);
}

static int stream_in(char *destination, int source, uid_t uid, gid_t gid) {
  become(uid, gid);
  make_dirs(destination);
  char path[PATH_MAX] = ".";
  copy_tree(source, path, 1);
  return 0;
}

/* ---- out ---- */

static void write_all(const void *data, size_t length) {
  const char *p = data;
  while (length > 0) {
    ssize_t n = write(STDOUT_FILENO, p, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      die(1, "write", "stdout", errno);
    }
    p += n;
    length -= (size_t)n;
  }
}

static void put(unsigned char *at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; i++) at[i] = (unsigned char)(value >> (8 * i));
}

static void emit(char type, const struct stat *st, const char *name, const char *link, uint64_t size) {
  unsigned char header[HEADER_SIZE] = {0};
  header[0] = (unsigned char)type;
  if (st) {
    put(header + 4, st->st_mode & 07777, 4);
    put(header + 8, st->st_uid, 4);
    put(header + 12, st->st_gid, 4);
    put(header + 16, (uint64_t)st->st_mtim.tv_sec, 8);
  }
  put(header + 24, strlen(name), 4);
  put(header + 28, strlen(link), 4);
  put(header + 32, size, 8);
  write_all(header, sizeof header);
  write_all(name, strlen(name));
  write_all(link, strlen(link));
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void pack(int parent, const char *name, char *path, size_t length) {
  struct stat st;
  if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0) fail("stat", path);
  if (S_ISDIR(st.st_mode)) {
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) fail("open", path);
    DIR *dir = fdopendir(fd);
    if (!dir) fail("open", path);
    char **names = NULL;
    size_t count = 0, capacity = 0;
    struct dirent *entry;
    while ((errno = 0, entry = readdir(dir))) {
      if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
      if (count == capacity) {
        capacity = capacity ? capacity * 2 : 32;
        names = realloc(names, capacity * sizeof *names);
        if (!names) die(1, "readdir", path, ENOMEM);
      }
      if (!(names[count++] = strdup(entry->d_name))) die(1, "readdir", path, ENOMEM);
    }
    if (errno) fail("readdir", path);
    qsort(names, count, sizeof *names, by_name);
    emit('D', &st, path, "", 0);
    for (size_t i = 0; i < count; i++) {
      size_t extended = length + 1 + strlen(names[i]);
      if (extended >= PATH_MAX) {
        errno = ENAMETOOLONG;
        fail("stat", names[i]);
      }
      path[length] = '/';
      strcpy(path + length + 1, names[i]);
      pack(dirfd(dir), names[i], path, extended);
      path[length] = 0;
      free(names[i]);
    }
    free(names);
    closedir(dir);
  } else if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t n = readlinkat(parent, name, target, sizeof target - 1);
    if (n < 0) fail("readlink", path);
    target[n] = 0;
    emit('L', &st, path, target, 0);
  } else if (S_ISREG(st.st_mode)) {
    int fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) fail("open", path);
    if (fstat(fd, &st) < 0) fail("stat", path);
    uint64_t left = (uint64_t)st.st_size;
    emit('F', &st, path, "", left);
    /* exactly the size announced: a file that grows is cut, one that shrinks is padded */
    while (left > 0) {
      size_t want = left < sizeof buffer ? (size_t)left : sizeof buffer;
      ssize_t n = read(fd, buffer, want);
      if (n < 0) die(1, "read", path, errno);
      if (n == 0) {
        memset(buffer, 0, want);
        n = (ssize_t)want;
      }
      write_all(buffer, (size_t)n);
      left -= (uint64_t)n;
    }
    close(fd);
  }
  /* sockets, fifos and devices have no content to stream out */
}

static int stream_out(char *source) {
  size_t length = strlen(source);
  char path[PATH_MAX];
  if (length == 0 || source[length - 1] == '/') {
    if (length > 0 && chdir(source) < 0) fail("chdir", source);
    strcpy(path, ".");
    pack(AT_FDCWD, ".", path, 1);
  } else {
    char *slash = strrchr(source, '/');
    const char *name = slash ? slash + 1 : source;
    if (slash) {
      *slash = 0;
      if (chdir(slash == source ? "/" : source) < 0) fail("chdir", slash == source ? "/" : source);
    }
    if (strcmp(name, "..") == 0) {
      errno = EINVAL;
      fail("stream out", "..");
    }
    if (strlen(name) >= PATH_MAX) {
      errno = ENAMETOOLONG;
      fail("stat", name);
    }
    strcpy(path, name);
    pack(AT_FDCWD, name, path, strlen(path));
  }
  emit('E', NULL, "", "", 0);
  return 0;
}

int main(int argc, char **argv) {
  int in = argc == 7 && strcmp(argv[1], "in") == 0;
  int out = argc == 6 && strcmp(argv[1], "out") == 0;
  if (!in && !out) {
    fprintf(stderr, "usage: grove-files in <pid> <uid> <gid> <path> <source dir>\n"
                    "       grove-files out <pid> <uid> <gid> <path>\n");
    return 1;
  }
  int source = -1;
  if (in) {
    source = open(argv[6], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (source < 0) die(1, "open", argv[6], errno);
  }
  uid_t uid = (uid_t)strtoul(argv[3], NULL, 10);
  gid_t gid = (gid_t)strtoul(argv[4], NULL, 10);
  enter(argv[2]);
  if (in) return stream_in(argv[5], source, uid, gid);
  become(uid, gid);
  return stream_out(argv[5]);
}
