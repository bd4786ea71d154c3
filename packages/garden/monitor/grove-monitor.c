/*
 * grove-monitor: keeps one container process's stdio and exit status across restarts of the
 * Node runtime (Garden's "dadoo", much smaller).
 *
 * usage: grove-monitor [-t ROWS,COLS] [-o CAP] [-l] <process-dir> <runtime> <runtime args...>
 *        grove-monitor [-t ROWS,COLS] [-o CAP] -x <process-dir> <init-socket> <request-file>
 *
 * The first process forks, the child calls setsid and forks again, and the grandchild is the
 * monitor. The monitor becomes a child subreaper, runs the runtime command line (which must
 * write its pid file to <process-dir>/pid and, with -t, use <process-dir>/console.sock as its
 * console socket) and tells the first process how the runtime command ended; the first process
 * exits with that status, so the caller knows whether the container process started. The
 * container process is re-parented to the monitor once the runtime exits, so the monitor reaps
 * it and writes its exit status atomically to <process-dir>/exitcode.
 *
 * Without a TTY the container writes into pipes the monitor copies to <process-dir>/stdout and
 * stderr; with a TTY the monitor copies the pty master into stdout. Each file is kept under CAP
 * bytes (-o, default 16 MiB) by moving it to <name>.1 and starting it again. stdin, EOF and window size arrive on the unix
 * stream socket <process-dir>/control.sock as frames: 1 byte type, 4 bytes big-endian length,
 * payload. 'd' = stdin data, 'c' = close stdin, 'r' = resize (u16 rows, u16 cols, big-endian),
 * 'a' = a reader took output (u8 stream: 0 stdout, 1 stderr; u32 bytes, big-endian).
 *
 * When <process-dir>/hold-output exists at start, output is held for its reader: the monitor
 * stops copying a stream once it is CAP bytes ahead of what readers acknowledged ('a'), so the
 * process blocks on its full pipe (or terminal) instead of output being rotated away unread.
 *
 * With -l (the container's init) the monitor binds <process-dir>/init.sock and hands the listening
 * socket to the runtime as fd 3 (the runtime command line must carry --preserve-fds 1): grove-init
 * accepts process requests on it.
 *
 * An init monitor also starts the monitors of the container's later processes: an 'x' frame on its
 * control socket forks one, which then works as with -x (see spawn_exec_monitor).
 *
 * With -x the process is not started by the runtime but by the container's grove-init: the
 * monitor connects to <init-socket>, sends the request file's "key=value\0" entries with its
 * stdin pipe and output files (frames.h), writes the process's host pid to <process-dir>/pid and
 * learns the exit status from init ('X'); a connection that ends without one means the container
 * went away, recorded as killed (137).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "frames.h"

#define MAX_CLIENTS 16
#define FRAME_MAX (1 << 20)
#define INIT_FD 3

struct client {
  int fd;
  size_t len;
  uint8_t *buf;
};

static int status_fd = -1;
static int stdin_fd = -1; /* write end of the stdin pipe, or the pty master */
static int master_fd = -1;
/*
 * The process's output: without a TTY it writes into pipes the monitor copies to the files
 * `stdout` and `stderr`; with one the monitor copies the terminal into `stdout`. A file that would
 * grow past `output_cap` bytes is renamed to `<name>.1` (replacing the one before) and started
 * again, so a chatty process cannot fill the cell's disk; readers follow the newest file.
 */
struct output {
  int pipe; /* read end, -1 once at EOF or without pipes */
  int file;
  const char *name;
  size_t size;
  uint64_t written; /* bytes ever written to the files */
  uint64_t acked;   /* bytes readers said they took ('a' frames) */
};
static struct output outputs[2] = {{-1, -1, "stdout", 0, 0, 0}, {-1, -1, "stderr", 0, 0, 0}};
static size_t output_cap = 16u << 20;
static int hold_output = 0; /* <process-dir>/hold-output: copy no further than CAP past the reader */
static int finishing = 0;   /* the process is gone: the last output is being drained */
#define COPY_CHUNK 65536

/*
 * Whether copying `o` waits for its reader: one more read could put the file more than CAP ahead
 * of it, and then a rotation could move away a file it has not finished.
 */
static int output_held(const struct output *o) {
  return hold_output && o->written - o->acked + COPY_CHUNK > output_cap;
}
/*
 * Pipe output is copied in batches: after a read that emptied a pipe, the pipes are left alone for
 * this long, so a process writing a line at a time (a log line per request) wakes the monitor a
 * hundred times a second rather than once per line. A full read goes on at once, so a chatty
 * process is never held back; at exit everything is drained. A terminal is copied at once.
 */
#define OUTPUT_BATCH_MS 10
static struct timespec outputs_resume; /* pipes are not polled before this time */
static struct client clients[MAX_CLIENTS];

static void die(const char *what) {
  fprintf(stderr, "grove-monitor: %s: %s\n", what, strerror(errno));
  if (status_fd >= 0) {
    int code = 125;
    (void)!write(status_fd, &code, sizeof code);
  }
  _exit(125);
}

static void report(int code) {
  if (status_fd < 0) return;
  (void)!write(status_fd, &code, sizeof code);
  close(status_fd);
  status_fd = -1;
}

static int listen_unix(const char *path, int backlog) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  unlink(path);
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(fd, backlog) < 0) die("listen");
  return fd;
}

static int receive_fd(int sock) {
  char data[256];
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = data, .iov_len = sizeof data};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                       .msg_controllen = sizeof control};
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) < 0) return -1;
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof fd);
  return fd;
}

static void write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && errno == EAGAIN) {
      /* the pty master is non-blocking: wait until the terminal takes more input */
      struct pollfd out = {.fd = fd, .events = POLLOUT};
      if (poll(&out, 1, 5000) <= 0) return;
      continue;
    }
    if (w <= 0) return; /* the reader is gone: drop the data */
    p += w;
    n -= (size_t)w;
  }
}

static void set_window(unsigned rows, unsigned cols) {
  if (master_fd < 0) return;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  ioctl(master_fd, TIOCSWINSZ, &ws);
}

static void close_stdin(void) {
  if (master_fd >= 0) {
    uint8_t eot = 4; /* a TTY has no EOF of its own: send ^D like a terminal would */
    write_all(master_fd, &eot, 1);
  } else if (stdin_fd >= 0) {
    close(stdin_fd);
    stdin_fd = -1;
  }
}

/* Nothing of the caller may stay open in a long-lived monitor but `fd`, where it reports (as fd 3). */
static void keep_only_status(int fd) {
  if (fd != 3) {
    dup2(fd, 3);
    close(fd);
  }
  status_fd = 3;
  fcntl(status_fd, F_SETFD, FD_CLOEXEC);
  close_range(4, ~0U, 0);
}

static int serves_execs; /* this monitor's process is a container's grove-init (-l) */
static void monitor(int tty, unsigned rows, unsigned cols, int mode, char **args);

/*
 * 'x' on an init monitor's control socket: become the monitor of a new process of this container
 * — a fork of this small process instead of a new one from the caller. Payload: process dir,
 * init socket (relative to it), request file, "ROWS,COLS" or "" for no TTY, each NUL-terminated.
 * The new monitor reports on the caller's connection (an int, like the exit code of a monitor
 * started from the command line).
 */
static void spawn_exec_monitor(int conn, const uint8_t *p, uint32_t n) {
  const char *field[4];
  uint32_t at = 0;
  for (int i = 0; i < 4; i++) {
    const uint8_t *end = at < n ? memchr(p + at, 0, n - at) : NULL;
    if (!end) return;
    field[i] = (const char *)p + at;
    at = (uint32_t)(end - p) + 1;
  }
  pid_t child = fork();
  if (child != 0) return; /* reaped with the others in the SIGCHLD loop */
  setsid();
  keep_only_status(conn);
  master_fd = stdin_fd = -1;
  for (int i = 0; i < 2; i++) outputs[i] = (struct output){-1, -1, outputs[i].name, 0, 0, 0};
  memset(clients, 0, sizeof clients);
  serves_execs = 0;
  if (chdir(field[0]) < 0) {
    int code = 125;
    (void)!write(status_fd, &code, sizeof code);
    _exit(125);
  }
  unsigned rows = 0, cols = 0;
  int tty = field[3][0] != 0;
  if (tty) sscanf(field[3], "%u,%u", &rows, &cols);
  char *args[] = {(char *)field[1], (char *)field[2], NULL};
  monitor(tty, rows, cols, 'x', args);
  _exit(0);
}

/* Returns 0 when the client's connection is done with. */
static int handle_frame(struct client *c, uint8_t type, const uint8_t *p, uint32_t n) {
  switch (type) {
  case 'x':
    if (serves_execs) spawn_exec_monitor(c->fd, p, n);
    return 0;
  case 'd':
    if (stdin_fd >= 0) write_all(stdin_fd, p, n);
    break;
  case 'c':
    close_stdin();
    break;
  case 'r':
    if (n >= 4) set_window((unsigned)(p[0] << 8 | p[1]), (unsigned)(p[2] << 8 | p[3]));
    break;
  case 'a':
    if (n >= 5 && p[0] < 2) {
      struct output *o = &outputs[p[0]];
      o->acked += (uint64_t)p[1] << 24 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 8 | p[4];
      if (o->acked > o->written) o->acked = o->written;
    }
    break;
  }
  return 1;
}

/* Returns 0 when the client is gone. */
static int read_client(struct client *c) {
  uint8_t chunk[65536];
  ssize_t r = read(c->fd, chunk, sizeof chunk);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
  if (r <= 0) return 0;
  uint8_t *nb = realloc(c->buf, c->len + (size_t)r);
  if (!nb) return 0;
  c->buf = nb;
  memcpy(c->buf + c->len, chunk, (size_t)r);
  c->len += (size_t)r;
  size_t off = 0;
  while (c->len - off >= 5) {
    uint8_t *h = c->buf + off;
    uint32_t n = (uint32_t)h[1] << 24 | (uint32_t)h[2] << 16 | (uint32_t)h[3] << 8 | h[4];
    if (n > FRAME_MAX) return 0;
    if (c->len - off - 5 < n) break;
    if (!handle_frame(c, h[0], h + 5, n)) return 0;
    off += 5 + n;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
  return 1;
}

static void emit(struct output *o, const uint8_t *buf, size_t n) {
  if (o->file < 0) return;
  /* Held output is not rotated by the last drain at exit (no reader could be waited for any
   * more): the file may pass the cap by what the pipe still held, never lose what is unread. */
  if (o->size > 0 && o->size + n > output_cap && !(hold_output && finishing)) {
    char rotated[32];
    snprintf(rotated, sizeof rotated, "%s.1", o->name);
    close(o->file);
    rename(o->name, rotated);
    o->file = open(o->name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    o->size = 0;
    if (o->file < 0) return;
  }
  write_all(o->file, buf, n);
  o->size += n;
  o->written += n;
}

static long ms_until(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
}

/* Copies what an output pipe holds; `drain`: everything until it would block or ends. */
static void copy_output(struct output *o, int drain) {
  uint8_t buf[COPY_CHUNK];
  while (o->pipe >= 0) {
    ssize_t r = read(o->pipe, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return;
    if (r <= 0) {
      close(o->pipe);
      o->pipe = -1;
      return;
    }
    emit(o, buf, (size_t)r);
    if ((size_t)r < sizeof buf && !drain) {
      clock_gettime(CLOCK_MONOTONIC, &outputs_resume);
      outputs_resume.tv_nsec += OUTPUT_BATCH_MS * 1000000L;
      if (outputs_resume.tv_nsec >= 1000000000L) {
        outputs_resume.tv_sec += 1;
        outputs_resume.tv_nsec -= 1000000000L;
      }
    }
    if (!drain) return;
  }
}

/*
 * Copies what the terminal has for us. Draining (the process exited): the kernel moves what the
 * process wrote to the master side asynchronously, so keep reading until the terminal reports its
 * other side closed (EIO), or nothing more came for a while (a child of the process still holds it).
 */
static void copy_master(int drain) {
  uint8_t buf[COPY_CHUNK];
  for (;;) {
    ssize_t r = read(master_fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN && drain) {
      struct pollfd more = {.fd = master_fd, .events = POLLIN};
      if (poll(&more, 1, 200) > 0) continue;
    }
    if (r <= 0) {
      if (r == 0 || errno != EAGAIN || drain) {
        close(master_fd);
        master_fd = -1;
      }
      return;
    }
    emit(&outputs[0], buf, (size_t)r);
    if (!drain) return;
  }
}

static void write_exit_status(int status) {
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE *f = fopen("exitcode.tmp", "w");
  if (!f) die("exitcode.tmp");
  fprintf(f, "%d\n", code);
  fflush(f);
  fsync(fileno(f));
  fclose(f);
  if (rename("exitcode.tmp", "exitcode") < 0) die("rename exitcode");
}

static pid_t read_pid(const char *path) {
  FILE *f = fopen(path, "r");
  long pid = -1;
  if (!f) return -1;
  if (fscanf(f, "%ld", &pid) != 1) pid = -1;
  fclose(f);
  return (pid_t)pid;
}

/* With a TTY the runtime hands the pty master over the console socket before it exits. */
static int await_console(int listener, pid_t runtime, int *runtime_status) {
  for (;;) {
    struct pollfd p = {.fd = listener, .events = POLLIN};
    int n = poll(&p, 1, 50);
    if (n > 0) {
      int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
      if (conn < 0) continue;
      int fd = receive_fd(conn);
      close(conn);
      if (fd >= 0) return fd;
    }
    pid_t w = waitpid(runtime, runtime_status, WNOHANG);
    if (w == runtime) return -1;
  }
}

/* The host pid of the process init started as `nspid` (init's children, matched by NSpid). */
static pid_t host_pid_of(pid_t init_pid, pid_t nspid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)init_pid, (int)init_pid);
  FILE *children = fopen(path, "r");
  if (!children) return -1;
  long candidate;
  pid_t found = -1;
  while (found < 0 && fscanf(children, "%ld", &candidate) == 1) {
    snprintf(path, sizeof path, "/proc/%ld/status", candidate);
    FILE *status = fopen(path, "r");
    if (!status) continue;
    char line[256];
    while (fgets(line, sizeof line, status)) {
      if (strncmp(line, "NSpid:", 6) != 0) continue;
      char *last = strrchr(line, '\t');
      if (last && atol(last + 1) == (long)nspid) found = (pid_t)candidate;
      break;
    }
    fclose(status);
  }
  fclose(children);
  return found;
}

static void write_pid_file(pid_t pid) {
  FILE *f = fopen("pid.tmp", "w");
  if (!f) die("pid.tmp");
  fprintf(f, "%d", (int)pid);
  fclose(f);
  if (rename("pid.tmp", "pid") < 0) die("rename pid");
}

static void fail_start(int code, const char *message) {
  if (message) fprintf(stderr, "%s\n", message);
  for (int i = 0; i < 2; i++) copy_output(&outputs[i], 1); /* the runtime's own words, for the caller */
  unlink("control.sock");
  report(code);
  _exit(0);
}

/*
 * Runs the runtime command line; returns once it ended well and the container process runs (its
 * pid in the pid file), or reports the runtime's status and ends.
 */
static void start_with_runtime(int tty, int listen_init, char **argv, int devnull, int in_r, int out_w,
                               int err_w) {
  int console = tty ? listen_unix("console.sock", 8) : -1;
  int init_listener = listen_init ? listen_unix("init.sock", 128) : -1;
  pid_t runtime = fork();
  if (runtime < 0) die("fork");
  if (runtime == 0) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_UNBLOCK, &all, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(tty ? devnull : in_r, 0);
    dup2(tty ? devnull : out_w, 1);
    dup2(tty ? devnull : err_w, 2);
    if (init_listener >= 0) dup2(init_listener, INIT_FD); /* --preserve-fds 1 */
    execvp(argv[0], argv);
    fprintf(stderr, "grove-monitor: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  if (init_listener >= 0) close(init_listener);
  int runtime_status = 0;
  int runtime_done = 0;
  if (tty) {
    master_fd = await_console(console, runtime, &runtime_status);
    runtime_done = master_fd < 0;
    close(console);
    unlink("console.sock");
  }
  if (!runtime_done) {
    while (waitpid(runtime, &runtime_status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!WIFEXITED(runtime_status) || WEXITSTATUS(runtime_status) != 0) {
    if (listen_init) unlink("init.sock");
    fail_start(WIFEXITED(runtime_status) ? WEXITSTATUS(runtime_status) : 128 + WTERMSIG(runtime_status),
               NULL);
  }
  if (read_pid("pid") <= 0) {
    errno = ENOENT;
    die("pid file");
  }
}

/*
 * Asks the container's init to run the request; returns the connection on which the exit status
 * will come once the process runs, or reports why it did not start and ends.
 */
static int start_with_init(int tty, unsigned rows, unsigned cols, const char *socket_path,
                           const char *request_path, int in_r, int out_w, int err_w) {
  FILE *f = fopen(request_path, "r");
  if (!f) die("request file");
  static char request[FRAME_PAYLOAD_MAX];
  size_t len = fread(request, 1, sizeof request - 64, f);
  fclose(f);
  if (tty) len += (size_t)snprintf(request + len, 64, "tty=%u,%u", rows, cols) + 1;

  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, socket_path, sizeof addr.sun_path - 1);
  int init = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (init < 0) die("socket");
  if (connect(init, (struct sockaddr *)&addr, sizeof addr) < 0) {
    char message[256];
    snprintf(message, sizeof message, "the container's init does not answer: %s", strerror(errno));
    fail_start(125, message);
  }
  /* init's host pid: the pid file beside its socket (SO_PEERCRED would name the init's monitor,
   * which called listen) */
  char init_pid_path[PATH_MAX];
  snprintf(init_pid_path, sizeof init_pid_path, "%s", socket_path);
  char *slash = strrchr(init_pid_path, '/');
  snprintf(slash ? slash + 1 : init_pid_path, sizeof init_pid_path - (size_t)(slash ? slash + 1 - init_pid_path : 0), "pid");
  pid_t init_pid = read_pid(init_pid_path);

  int fds[3] = {in_r, out_w, err_w};
  if (frame_send(init, 'R', request, (uint32_t)len, fds, tty ? 0 : 3) < 0) die("send request");
  for (;;) {
    uint8_t type, *payload = NULL;
    uint32_t n;
    int got[FRAME_FDS], ngot = 0;
    if (frame_recv(init, &type, &payload, &n, got, &ngot) < 0)
      fail_start(125, "the container's init went away before the process started");
    if (type == 'M' && ngot == 1) {
      master_fd = got[0];
    } else if (type == 'E') {
      fail_start(126, (char *)payload);
    } else if (type == 'P' && n == 4) {
      pid_t host = init_pid > 0 ? host_pid_of(init_pid, (pid_t)frame_u32(payload)) : -1;
      /* a process that already ended has no pid left to signal */
      if (host > 0) write_pid_file(host);
      free(payload);
      return init;
    }
    free(payload);
  }
}

/* The init connection's verdict: the wait status, or "killed" when the container went away. */
static int exit_status_from(int init) {
  uint8_t type, *payload = NULL;
  uint32_t n;
  int fds[FRAME_FDS], nfds = 0;
  int status = SIGKILL; /* as wait(2) reports a process killed by SIGKILL */
  if (frame_recv(init, &type, &payload, &n, fds, &nfds) == 0 && type == 'X' && n == 4)
    status = (int)frame_u32(payload);
  free(payload);
  return status;
}

static void finish(int status) {
  finishing = 1;
  if (master_fd >= 0) copy_master(1);
  for (int i = 0; i < 2; i++) copy_output(&outputs[i], 1);
  if (outputs[0].file >= 0) fsync(outputs[0].file);
  unlink("control.sock");
  write_exit_status(status);
  _exit(0);
}

static void monitor(int tty, unsigned rows, unsigned cols, int mode, char **args) {
  int devnull = open("/dev/null", O_RDWR);
  int log = open("monitor.log", O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (devnull < 0 || log < 0) die("open");
  dup2(devnull, 0);
  dup2(devnull, 1);
  dup2(log, 2);
  close(log);
  fcntl(devnull, F_SETFD, FD_CLOEXEC);
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) die("PR_SET_CHILD_SUBREAPER");
  FILE *self = fopen("monitor.pid", "w");
  if (!self) die("monitor.pid");
  fprintf(self, "%d\n", (int)getpid());
  fclose(self);
  signal(SIGPIPE, SIG_IGN);
  hold_output = access("hold-output", F_OK) == 0;
  if (hold_output && output_cap < 2 * COPY_CHUNK) output_cap = 2 * COPY_CHUNK; /* room for one read */

  int writers[2] = {devnull, devnull};
  for (int i = 0; i < 2; i++) {
    outputs[i].file = open(outputs[i].name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (outputs[i].file < 0) die("open output");
    int p[2];
    if (tty) continue;
    if (pipe2(p, O_CLOEXEC) < 0) die("pipe");
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    outputs[i].pipe = p[0];
    writers[i] = p[1];
  }
  int in_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) < 0) die("pipe");
  int control = listen_unix("control.sock", 8);

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) die("signalfd");

  int init = -1;
  pid_t child = -1;
  if (mode == 'x') {
    init = start_with_init(tty, rows, cols, args[0], args[1], in_pipe[0], writers[0], writers[1]);
  } else {
    start_with_runtime(tty, mode == 'l', args, devnull, in_pipe[0], writers[0], writers[1]);
    serves_execs = mode == 'l';
    child = read_pid("pid");
  }
  close(in_pipe[0]);
  /* only the process holds the pipes' write ends now: they end when it (and its children) do */
  if (!tty) {
    close(writers[0]);
    close(writers[1]);
  }
  if (master_fd >= 0) {
    fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);
    if (mode != 'x' && rows && cols) set_window(rows, cols);
    stdin_fd = master_fd;
    close(in_pipe[1]);
  } else if (tty) {
    close(in_pipe[1]);
  } else {
    stdin_fd = in_pipe[1];
  }
  report(0);

  for (;;) {
    struct pollfd fds[6 + MAX_CLIENTS];
    int n = 0;
    fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = control, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = output_held(&outputs[0]) ? -1 : master_fd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = init, .events = POLLIN};
    long held = ms_until(&outputs_resume);
    int batching = held > 0;
    for (int i = 0; i < 2; i++) {
      int skip = batching || output_held(&outputs[i]);
      fds[n++] = (struct pollfd){.fd = skip ? -1 : outputs[i].pipe, .events = POLLIN};
    }
    for (int i = 0; i < MAX_CLIENTS; i++)
      fds[n++] = (struct pollfd){.fd = clients[i].fd > 0 ? clients[i].fd : -1, .events = POLLIN};
    if (poll(fds, (nfds_t)n, batching ? (int)held + 1 : -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[2].revents && master_fd >= 0) copy_master(0);
    for (int i = 0; i < 2; i++)
      if (fds[4 + i].revents) copy_output(&outputs[i], 0);
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (!fds[6 + i].revents || clients[i].fd <= 0) continue;
      if (!read_client(&clients[i])) {
        close(clients[i].fd);
        free(clients[i].buf);
        clients[i] = (struct client){0};
      }
    }
    if (fds[1].revents) {
      int conn = accept4(control, NULL, NULL, SOCK_CLOEXEC);
      for (int i = 0; conn >= 0 && i < MAX_CLIENTS; i++) {
        if (clients[i].fd > 0) continue;
        clients[i] = (struct client){.fd = conn};
        conn = -1;
      }
      if (conn >= 0) close(conn);
    }
    if (fds[3].revents) finish(exit_status_from(init));
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) > 0) {
      }
      int status;
      pid_t w;
      while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
        if (w == child) finish(status);
      }
    }
  }
}

int main(int argc, char **argv) {
  int tty = 0;
  int mode = 0;
  unsigned rows = 0, cols = 0;
  int ai = 1;
  for (; ai < argc && argv[ai][0] == '-'; ai++) {
    if (strcmp(argv[ai], "-t") == 0 && ai + 1 < argc) {
      tty = 1;
      sscanf(argv[++ai], "%u,%u", &rows, &cols);
    } else if (strcmp(argv[ai], "-o") == 0 && ai + 1 < argc) {
      output_cap = (size_t)strtoull(argv[++ai], NULL, 10);
      if (output_cap < 4096) output_cap = 4096;
    } else if (strcmp(argv[ai], "-l") == 0) {
      mode = 'l';
    } else if (strcmp(argv[ai], "-x") == 0) {
      mode = 'x';
    } else {
      break;
    }
  }
  if (argc - ai < (mode == 'x' ? 3 : 2)) {
    fprintf(stderr, "usage: grove-monitor [-t ROWS,COLS] [-o CAP] [-l] <process-dir> <runtime> [args...]\n"
                    "       grove-monitor [-t ROWS,COLS] [-o CAP] -x <process-dir> <init-socket> <request-file>\n");
    return 2;
  }
  if (chdir(argv[ai]) < 0) {
    perror("grove-monitor: chdir");
    return 125;
  }
  int sync_pipe[2];
  if (pipe2(sync_pipe, O_CLOEXEC) < 0) return 125;
  pid_t first = fork();
  if (first < 0) return 125;
  if (first > 0) {
    close(sync_pipe[1]);
    int code = 125;
    if (read(sync_pipe[0], &code, sizeof code) != sizeof code) code = 125;
    waitpid(first, NULL, 0);
    return code;
  }
  close(sync_pipe[0]);
  setsid();
  pid_t second = fork();
  if (second != 0) _exit(second < 0 ? 125 : 0);
  keep_only_status(sync_pipe[1]);
  monitor(tty, rows, cols, mode, &argv[ai + 1]);
  return 0;
}
