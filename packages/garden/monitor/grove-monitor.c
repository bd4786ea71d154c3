/*
 * grove-monitor: keeps one container process's stdio and exit status across restarts of the
 * Node runtime (Garden's "dadoo", much smaller).
 *
 * usage: grove-monitor [-t ROWS,COLS] <process-dir> <runtime> <runtime args...>
 *
 * The first process forks, the child calls setsid and forks again, and the grandchild is the
 * monitor. The monitor becomes a child subreaper, runs the runtime command line (which must
 * write its pid file to <process-dir>/pid and, with -t, use <process-dir>/console.sock as its
 * console socket) and tells the first process how the runtime command ended; the first process
 * exits with that status, so the caller knows whether the container process started. The
 * container process is re-parented to the monitor once the runtime exits, so the monitor reaps
 * it and writes its exit status atomically to <process-dir>/exitcode.
 *
 * Without a TTY the container writes straight into <process-dir>/stdout and stderr. With a TTY
 * the monitor copies the pty master into stdout. stdin, EOF and window size arrive on the unix
 * stream socket <process-dir>/control.sock as frames: 1 byte type, 4 bytes big-endian length,
 * payload. 'd' = stdin data, 'c' = close stdin, 'r' = resize (u16 rows, u16 cols, big-endian).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <unistd.h>

#define MAX_CLIENTS 16
#define FRAME_MAX (1 << 20)

struct client {
  int fd;
  size_t len;
  uint8_t *buf;
};

static int status_fd = -1;
static int stdin_fd = -1; /* write end of the stdin pipe, or the pty master */
static int master_fd = -1;
static int out_fd = -1;
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

static int listen_unix(const char *path) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  unlink(path);
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
  if (listen(fd, 8) < 0) die("listen");
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

static void handle_frame(uint8_t type, const uint8_t *p, uint32_t n) {
  switch (type) {
  case 'd':
    if (stdin_fd >= 0) write_all(stdin_fd, p, n);
    break;
  case 'c':
    close_stdin();
    break;
  case 'r':
    if (n >= 4) set_window((unsigned)(p[0] << 8 | p[1]), (unsigned)(p[2] << 8 | p[3]));
    break;
  }
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
    handle_frame(h[0], h + 5, n);
    off += 5 + n;
  }
  memmove(c->buf, c->buf + off, c->len - off);
  c->len -= off;
  return 1;
}

static void copy_master(int drain) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = read(master_fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0 || errno != EAGAIN) {
        close(master_fd);
        master_fd = -1;
      }
      return;
    }
    write_all(out_fd, buf, (size_t)r);
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

static pid_t read_pid(void) {
  FILE *f = fopen("pid", "r");
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

static void monitor(int tty, unsigned rows, unsigned cols, char **runtime_argv) {
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

  out_fd = open("stdout", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err_fd = open("stderr", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out_fd < 0 || err_fd < 0) die("open output");
  int in_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) < 0) die("pipe");
  int control = listen_unix("control.sock");
  int console = tty ? listen_unix("console.sock") : -1;

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sigfd < 0) die("signalfd");

  pid_t runtime = fork();
  if (runtime < 0) die("fork");
  if (runtime == 0) {
    sigprocmask(SIG_UNBLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_DFL);
    dup2(tty ? devnull : in_pipe[0], 0);
    dup2(tty ? devnull : out_fd, 1);
    dup2(tty ? devnull : err_fd, 2);
    execvp(runtime_argv[0], runtime_argv);
    fprintf(stderr, "grove-monitor: exec %s: %s\n", runtime_argv[0], strerror(errno));
    _exit(127);
  }
  close(in_pipe[0]);
  close(err_fd);

  int runtime_status = 0;
  int runtime_done = 0;
  if (tty) {
    master_fd = await_console(console, runtime, &runtime_status);
    runtime_done = master_fd < 0;
    close(console);
    unlink("console.sock");
    if (master_fd >= 0) {
      fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_NONBLOCK);
      if (rows && cols) set_window(rows, cols);
      stdin_fd = master_fd;
    }
    close(in_pipe[1]);
  } else {
    stdin_fd = in_pipe[1];
  }
  if (!runtime_done) {
    while (waitpid(runtime, &runtime_status, 0) < 0 && errno == EINTR) {
    }
  }
  if (!WIFEXITED(runtime_status) || WEXITSTATUS(runtime_status) != 0) {
    unlink("control.sock");
    report(WIFEXITED(runtime_status) ? WEXITSTATUS(runtime_status) : 128 + WTERMSIG(runtime_status));
    _exit(0);
  }
  pid_t child = read_pid();
  if (child <= 0) {
    errno = ENOENT;
    die("pid file");
  }
  report(0);

  for (;;) {
    struct pollfd fds[3 + MAX_CLIENTS];
    int n = 0;
    fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = control, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = master_fd, .events = POLLIN};
    for (int i = 0; i < MAX_CLIENTS; i++)
      fds[n++] = (struct pollfd){.fd = clients[i].fd > 0 ? clients[i].fd : -1, .events = POLLIN};
    if (poll(fds, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[2].revents && master_fd >= 0) copy_master(0);
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (!fds[3 + i].revents || clients[i].fd <= 0) continue;
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
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) > 0) {
      }
      int status;
      pid_t w;
      while ((w = waitpid(-1, &status, WNOHANG)) > 0) {
        if (w != child) continue;
        if (master_fd >= 0) copy_master(1);
        fsync(out_fd);
        unlink("control.sock");
        write_exit_status(status);
        _exit(0);
      }
    }
  }
}

int main(int argc, char **argv) {
  int tty = 0;
  unsigned rows = 0, cols = 0;
  int ai = 1;
  if (argc > 2 && strcmp(argv[1], "-t") == 0) {
    tty = 1;
    sscanf(argv[2], "%u,%u", &rows, &cols);
    ai = 3;
  }
  if (argc - ai < 2) {
    fprintf(stderr, "usage: grove-monitor [-t ROWS,COLS] <process-dir> <runtime> [args...]\n");
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
  /* Keep only the status pipe: nothing of the caller may stay open in a long-lived monitor. */
  if (sync_pipe[1] != 3) {
    dup2(sync_pipe[1], 3);
    close(sync_pipe[1]);
  }
  status_fd = 3;
  fcntl(status_fd, F_SETFD, FD_CLOEXEC);
  close_range(4, ~0U, 0);
  monitor(tty, rows, cols, &argv[ai + 2 - 1]);
  return 0;
}
