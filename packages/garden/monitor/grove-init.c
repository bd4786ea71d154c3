/*
 * grove-init: pid 1 of every Grove container, and the spawner of its processes (like the wshd of
 * Garden-Linux, smaller). Linked statically: it runs in whatever root filesystem the container has.
 *
 * usage: grove-init            (fd 3: a listening unix socket, passed by the runtime with
 *                               --preserve-fds 1 and bound at <depot>/<handle>/init/init.sock)
 *
 * It reaps every orphan of the container, and for each connection from a grove-monitor runs one
 * process already inside all of the container's namespaces, cgroups, seccomp filter and
 * capability bounding set — the same place `runc exec` would put it, without starting the runtime
 * twice. The request ('R', see frames.h) holds "key=value\0" entries:
 *   arg=…    one per argv element, in order (the first is the program: a path, or a name looked
 *            up in the request's PATH)
 *   env=…    one per environment entry
 *   uid=N gid=N   the user; cwd=…   the working directory (created for the user when missing)
 *   rlimit=NAME:SOFT:HARD   e.g. rlimit=RLIMIT_NOFILE:123:123
 *   tty=ROWS,COLS   allocate a terminal in the container's devpts; its master goes back ('M')
 * The reply is 'P' with the pid once the program was executed, or 'E' with the reason; 'X' with
 * the wait status follows when the process exits. A socket that is not there (fd 3 is not a
 * listening socket) leaves init as a plain reaper, like `catatonit -P`.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>

#include "frames.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define LISTEN_FD 3
#define MAX_ARGS 4096
#define MAX_RLIMITS 16

struct request {
  char *argv[MAX_ARGS + 1];
  int argc;
  char *envp[MAX_ARGS + 1];
  int envc;
  uid_t uid;
  gid_t gid;
  const char *cwd;
  int tty;
  unsigned rows, cols;
  struct {
    int resource;
    struct rlimit limit;
  } rlimits[MAX_RLIMITS];
  int nrlimits;
};

struct conn {
  int fd;    /* -1: slot free */
  pid_t pid; /* 0 until its process runs */
};

static struct conn *conns;
static size_t nconns;

static const struct {
  const char *name;
  int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},         {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},       {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},   {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},     {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},   {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimit(struct request *req, const char *value) {
  char name[32];
  unsigned long long soft, hard;
  if (req->nrlimits >= MAX_RLIMITS) return -1;
  if (sscanf(value, "%31[^:]:%llu:%llu", name, &soft, &hard) != 3) return -1;
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++) {
    if (strcmp(rlimit_names[i].name, name) != 0) continue;
    req->rlimits[req->nrlimits].resource = rlimit_names[i].resource;
    req->rlimits[req->nrlimits].limit = (struct rlimit){.rlim_cur = soft, .rlim_max = hard};
    req->nrlimits++;
    return 0;
  }
  return -1;
}

/* Splits the payload in place; returns NULL or the reason it is malformed. */
static const char *parse_request(struct request *req, char *payload, uint32_t len) {
  memset(req, 0, sizeof *req);
  req->cwd = "/";
  for (char *p = payload, *next; p < payload + len; p = next) {
    next = p + strlen(p) + 1;
    char *eq = strchr(p, '=');
    if (!eq) return "malformed request entry";
    *eq = 0;
    char *value = eq + 1;
    if (strcmp(p, "arg") == 0) {
      if (req->argc >= MAX_ARGS) return "too many arguments";
      req->argv[req->argc++] = value;
    } else if (strcmp(p, "env") == 0) {
      if (req->envc >= MAX_ARGS) return "too many environment entries";
      req->envp[req->envc++] = value;
    } else if (strcmp(p, "uid") == 0) {
      req->uid = (uid_t)strtoul(value, NULL, 10);
    } else if (strcmp(p, "gid") == 0) {
      req->gid = (gid_t)strtoul(value, NULL, 10);
    } else if (strcmp(p, "cwd") == 0) {
      req->cwd = value;
    } else if (strcmp(p, "tty") == 0) {
      req->tty = 1;
      sscanf(value, "%u,%u", &req->rows, &req->cols);
    } else if (strcmp(p, "rlimit") == 0) {
      if (parse_rlimit(req, value) < 0) return "invalid rlimit";
    }
  }
  if (req->argc == 0) return "no program to run";
  return NULL;
}

/* In the child: the reason it cannot go on goes up the error pipe, then it ends. The error is
 * spelled in lower case, as runc (Go) spells it. */
static void fail(int errpipe, const char *fmt, const char *arg, int err) {
  char message[PATH_MAX + 256];
  char reason[128];
  snprintf(reason, sizeof reason, "%s", strerror(err));
  if (reason[0] >= 'A' && reason[0] <= 'Z' && reason[1] >= 'a' && reason[1] <= 'z') reason[0] += 'a' - 'A';
  int n = snprintf(message, sizeof message, fmt, arg, reason);
  (void)!write(errpipe, message, n > 0 ? (size_t)n : 0);
  _exit(127);
}

/* mkdir -p, each new directory owned by the process's user (like Garden does for `dir`). */
static int make_dirs(const char *path, uid_t uid, gid_t gid) {
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) return -1;
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p != '/' && *p != 0) continue;
    char saved = *p;
    *p = 0;
    if (mkdir(buf, 0755) == 0) {
      if (chown(buf, uid, gid) < 0) return -1;
    } else if (errno != EEXIST) {
      return -1;
    }
    *p = saved;
    if (!saved) return 0;
  }
}

static const char *env_value(struct request *req, const char *name) {
  size_t n = strlen(name);
  for (int i = req->envc - 1; i >= 0; i--)
    if (strncmp(req->envp[i], name, n) == 0 && req->envp[i][n] == '=') return req->envp[i] + n + 1;
  return NULL;
}

/* execvpe with the request's own PATH; runc's wording when nothing is found. */
static void exec_program(struct request *req, int errpipe) {
  const char *file = req->argv[0];
  if (strchr(file, '/')) {
    execve(file, req->argv, req->envp);
    fail(errpipe, "exec: \"%s\": %s", file, errno);
  }
  const char *path = env_value(req, "PATH");
  if (!path) path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int denied = 0;
  char candidate[PATH_MAX];
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    int n = snprintf(candidate, sizeof candidate, "%.*s/%s", (int)(end - p), end == p ? "." : p, file);
    if (n > 0 && (size_t)n < sizeof candidate) {
      execve(candidate, req->argv, req->envp);
      if (errno == EACCES) denied = 1;
      else if (errno != ENOENT && errno != ENOTDIR) fail(errpipe, "exec: \"%s\": %s", file, errno);
    }
    if (!*end) break;
    p = end;
  }
  if (denied) fail(errpipe, "exec: \"%s\": %s", file, EACCES);
  char message[PATH_MAX + 64];
  int n = snprintf(message, sizeof message, "exec: \"%s\": executable file not found in $PATH", file);
  (void)!write(errpipe, message, n > 0 ? (size_t)n : 0);
  _exit(127);
}

static void child(struct request *req, const int *fds, const char *pts, int errpipe) {
  sigset_t all;
  sigfillset(&all);
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL);
  sigprocmask(SIG_UNBLOCK, &all, NULL);
  setsid();
  if (pts) {
    int slave = open(pts, O_RDWR);
    if (slave < 0) fail(errpipe, "open terminal %s: %s", pts, errno);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) fail(errpipe, "%s: set controlling terminal: %s", pts, errno);
    for (int fd = 0; fd < 3; fd++) dup2(slave, fd);
    if (slave > 2) close(slave);
  } else {
    for (int fd = 0; fd < 3; fd++) dup2(fds[fd], fd);
  }
  /* Nothing of init's (listening socket, other connections) may reach the program. */
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  for (int i = 0; i < req->nrlimits; i++) {
    if (setrlimit(req->rlimits[i].resource, &req->rlimits[i].limit) < 0)
      fail(errpipe, "setrlimit %s: %s", "", errno);
  }
  if (setgroups(0, NULL) < 0 && errno != EPERM) fail(errpipe, "setgroups%s: %s", "", errno);
  if (setgid(req->gid) < 0) fail(errpipe, "setgid%s: %s", "", errno);
  if (setuid(req->uid) < 0) fail(errpipe, "setuid%s: %s", "", errno);
  if (chdir(req->cwd) < 0) {
    /* created as the user, so it can only appear where the user may write */
    if (errno != ENOENT || make_dirs(req->cwd, req->uid, req->gid) < 0 || chdir(req->cwd) < 0)
      fail(errpipe, "chdir to cwd (\"%s\"): %s", req->cwd, errno);
  }
  exec_program(req, errpipe);
}

static void reply_error(int fd, const char *message) {
  frame_send(fd, 'E', message, (uint32_t)strlen(message), NULL, 0);
}

/* Runs one request; returns the pid, or 0 when it did not start (the reason was sent). */
static pid_t run_request(int fd, char *payload, uint32_t len, const int *fds, int nfds) {
  struct request req;
  const char *invalid = parse_request(&req, payload, len);
  if (!invalid && !req.tty && nfds != 3) invalid = "stdin, stdout and stderr must come with the request";
  if (invalid) {
    reply_error(fd, invalid);
    return 0;
  }
  int master = -1;
  char pts[64] = {0};
  if (req.tty) {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || unlockpt(master) < 0 || ptsname_r(master, pts, sizeof pts) != 0) {
      char message[128];
      snprintf(message, sizeof message, "allocate a terminal: %s", strerror(errno));
      reply_error(fd, message);
      if (master >= 0) close(master);
      return 0;
    }
    if (req.rows && req.cols) {
      struct winsize ws = {.ws_row = (unsigned short)req.rows, .ws_col = (unsigned short)req.cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
  }
  int errpipe[2];
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    reply_error(fd, "pipe failed");
    if (master >= 0) close(master);
    return 0;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(errpipe[0]);
    child(&req, fds, req.tty ? pts : NULL, errpipe[1]);
  }
  close(errpipe[1]);
  char reason[PATH_MAX + 256];
  size_t got = 0;
  if (pid > 0) {
    for (;;) {
      ssize_t r = read(errpipe[0], reason + got, sizeof reason - 1 - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
      if (got >= sizeof reason - 1) break;
    }
  }
  close(errpipe[0]);
  if (pid < 0 || got > 0) {
    if (pid > 0) waitpid(pid, NULL, 0);
    reason[got] = 0;
    reply_error(fd, pid < 0 ? "fork failed" : reason);
    if (master >= 0) close(master);
    return 0;
  }
  if (master >= 0) {
    frame_send(fd, 'M', NULL, 0, &master, 1);
    close(master);
  }
  uint8_t started[4];
  frame_put_u32(started, (uint32_t)pid);
  frame_send(fd, 'P', started, sizeof started, NULL, 0);
  return pid;
}

static struct conn *add_conn(int fd) {
  for (size_t i = 0; i < nconns; i++)
    if (conns[i].fd < 0 && conns[i].pid == 0) {
      conns[i] = (struct conn){.fd = fd};
      return &conns[i];
    }
  struct conn *grown = realloc(conns, (nconns + 16) * sizeof *conns);
  if (!grown) return NULL;
  conns = grown;
  for (size_t i = nconns; i < nconns + 16; i++) conns[i] = (struct conn){.fd = -1};
  nconns += 16;
  return add_conn(fd);
}

static void on_request(struct conn *c) {
  uint8_t type, *payload = NULL;
  uint32_t len;
  int fds[FRAME_FDS], nfds = 0;
  if (frame_recv(c->fd, &type, &payload, &len, fds, &nfds) < 0 || type != 'R') {
    for (int i = 0; i < nfds; i++) close(fds[i]);
    free(payload);
    close(c->fd);
    *c = (struct conn){.fd = -1};
    return;
  }
  c->pid = run_request(c->fd, (char *)payload, len, fds, nfds);
  for (int i = 0; i < nfds; i++) close(fds[i]);
  free(payload);
  if (c->pid == 0) {
    close(c->fd);
    *c = (struct conn){.fd = -1};
  }
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < nconns; i++) {
      if (conns[i].pid != pid) continue;
      if (conns[i].fd >= 0) {
        uint8_t code[4];
        frame_put_u32(code, (uint32_t)status);
        frame_send(conns[i].fd, 'X', code, sizeof code, NULL, 0);
        close(conns[i].fd);
      }
      conns[i] = (struct conn){.fd = -1};
    }
  }
}

int main(void) {
  sigset_t mask;
  sigfillset(&mask);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  int sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int listening = 0;
  socklen_t optlen = sizeof listening;
  if (getsockopt(LISTEN_FD, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) < 0) listening = 0;
  if (listening) fcntl(LISTEN_FD, F_SETFD, FD_CLOEXEC);
  for (;;) {
    size_t n = 0;
    struct pollfd *fds = calloc(2 + nconns, sizeof *fds);
    if (!fds) {
      poll(NULL, 0, 100);
      continue;
    }
    fds[n++] = (struct pollfd){.fd = sigfd, .events = POLLIN};
    fds[n++] = (struct pollfd){.fd = listening ? LISTEN_FD : -1, .events = POLLIN};
    for (size_t i = 0; i < nconns; i++)
      fds[n++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
    if (poll(fds, (nfds_t)n, -1) < 0) {
      free(fds);
      continue;
    }
    if (fds[0].revents) {
      struct signalfd_siginfo si;
      while (read(sigfd, &si, sizeof si) > 0) {
      }
      reap();
    }
    for (size_t i = 0; i + 2 < n; i++) {
      if (!fds[i + 2].revents || conns[i].fd < 0) continue;
      if (conns[i].pid == 0) {
        on_request(&conns[i]);
      } else {
        /* the monitor went away: the process runs on, its exit is reaped silently */
        close(conns[i].fd);
        conns[i].fd = -1;
      }
    }
    if (fds[1].revents) {
      int fd = accept4(LISTEN_FD, NULL, NULL, SOCK_CLOEXEC);
      if (fd >= 0 && !add_conn(fd)) close(fd);
    }
    free(fds);
  }
}
