/*
 * The volumes bench's probe, compiled static and bind-mounted read-only into the container:
 *   write FILE MB   1 MiB buffered writes, then one fsync; prints "bytes seconds"
 *   read FILE [MB]  O_DIRECT reads of 1 MiB, or MB MiB (page cache bypassed); prints "bytes seconds"
 *   fsync N FILE…   N rounds of, in each FILE: pwrite 4 KiB, fsync; prints "index microseconds"
 *                   per fsync. The files take turns (each round in the reverse order of the last),
 *                   so a machine busy at one moment weighs on every file alike. Each pwrite appends
 *                   (the file grows by a block: its fsync writes the data, the block bitmap and the
 *                   inode)
 *   refsync N FILE… the same, overwriting blocks the files already have (written and fsynced
 *                   first): an fsync writes the data and, when the mtime moved, the inode
 *   evict FILE      (on the host) fsync, then drop FILE's pages from the page cache
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)
#define MAX_READ (4 << 20)
#define MAX_FILES 8

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: probe write|read|evict FILE [N], probe fsync|refsync N FILE...\n");
    return 2;
  }
  const char *mode = argv[1], *file = argv[2];
  void *buffer;
  if (posix_memalign(&buffer, 4096, MAX_READ) != 0) die("posix_memalign");
  memset(buffer, 0xa5, MAX_READ);
  if (strcmp(mode, "write") == 0 && argc == 4) {
    long mb = atol(argv[3]);
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) die("open");
    double start = now();
    for (long i = 0; i < mb; i++)
      if (write(fd, buffer, CHUNK) != CHUNK) die("write");
    if (fsync(fd) != 0) die("fsync");
    printf("%ld %.6f\n", mb * (long)CHUNK, now() - start);
    return close(fd);
  }
  if (strcmp(mode, "read") == 0) {
    long chunk = argc == 4 ? atol(argv[3]) << 20 : CHUNK;
    if (chunk <= 0 || chunk > MAX_READ) chunk = CHUNK;
    int fd = open(file, O_RDONLY | O_DIRECT);
    if (fd < 0) die("open O_DIRECT");
    long total = 0;
    ssize_t n;
    double start = now();
    while ((n = read(fd, buffer, chunk)) > 0) total += n;
    if (n < 0) die("read");
    printf("%ld %.6f\n", total, now() - start);
    return close(fd);
  }
  int overwrite = strcmp(mode, "refsync") == 0;
  if ((overwrite || strcmp(mode, "fsync") == 0) && argc >= 4 && argc - 3 <= MAX_FILES) {
    long count = atol(argv[2]);
    int files = argc - 3, fds[MAX_FILES];
    for (int f = 0; f < files; f++) {
      if ((fds[f] = open(argv[f + 3], O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) die("open");
      for (long i = 0; overwrite && i < count; i++)
        if (pwrite(fds[f], buffer, 4096, i * 4096) != 4096) die("pwrite");
      if (overwrite && fsync(fds[f]) != 0) die("fsync");
    }
    for (long i = 0; i < count; i++) {
      for (int turn = 0; turn < files; turn++) {
        int f = i % 2 ? files - 1 - turn : turn;
        double start = now();
        if (pwrite(fds[f], buffer, 4096, i * 4096) != 4096) die("pwrite");
        if (fsync(fds[f]) != 0) die("fsync");
        printf("%d %.1f\n", f, (now() - start) * 1e6);
      }
    }
    for (int f = 0; f < files; f++) close(fds[f]);
    return 0;
  }
  if (strcmp(mode, "evict") == 0) {
    int fd = open(file, O_RDONLY);
    if (fd < 0) die("open");
    if (fsync(fd) != 0) die("fsync");
    if (posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) die("posix_fadvise");
    return close(fd);
  }
  fprintf(stderr, "unknown mode %s\n", mode);
  return 2;
}
