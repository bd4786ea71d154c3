/*
 * Frames between grove-monitor and grove-init (the container's pid 1) over a unix stream socket:
 * 1 byte type, 4 bytes big-endian payload length, payload. Up to FRAME_FDS file descriptors may
 * ride along (SCM_RIGHTS) with a frame; they are sent with its first byte.
 *
 *   monitor -> init  'R'  run request: "key=value\0" entries (see grove-init.c); fds stdin,
 *                         stdout, stderr unless the request asks for a TTY
 *   init -> monitor  'M'  the TTY's master (one fd), before 'P'
 *                    'P'  started: u32 pid inside the container's pid namespace
 *                    'E'  not started: the reason, text
 *                    'X'  exited: u32 wait status
 */
#ifndef GROVE_FRAMES_H
#define GROVE_FRAMES_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define FRAME_FDS 3
#define FRAME_PAYLOAD_MAX (1 << 20)

static inline int frame_send(int sock, uint8_t type, const void *payload, uint32_t len, const int *fds, int nfds) {
  uint8_t header[5] = {type, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
  struct iovec iov[2] = {{.iov_base = header, .iov_len = sizeof header},
                         {.iov_base = (void *)payload, .iov_len = len}};
  union {
    char buf[CMSG_SPACE(sizeof(int) * FRAME_FDS)];
    struct cmsghdr align;
  } control;
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
  if (nfds > 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)nfds);
  }
  size_t total = sizeof header + len;
  size_t sent = 0;
  while (sent < total) {
    ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    sent += (size_t)n;
    if (sent >= total) break;
    /* A partial write: send the rest as plain bytes (the fds went with the first byte). */
    msg.msg_control = NULL;
    msg.msg_controllen = 0;
    size_t skip = (size_t)n;
    while (msg.msg_iovlen > 0 && skip >= msg.msg_iov[0].iov_len) {
      skip -= msg.msg_iov[0].iov_len;
      msg.msg_iov++;
      msg.msg_iovlen--;
    }
    msg.msg_iov[0].iov_base = (uint8_t *)msg.msg_iov[0].iov_base + skip;
    msg.msg_iov[0].iov_len -= skip;
  }
  return 0;
}

static inline int frame_read_exact(int sock, uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t r = read(sock, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    p += r;
    n -= (size_t)r;
  }
  return 0;
}

/*
 * Reads one whole frame (blocking). The payload is malloc'd and NUL-terminated (free it); fds
 * received are stored in fds[] (set close-on-exec) and counted in *nfds. Returns -1 on EOF/error.
 */
static inline int frame_recv(int sock, uint8_t *type, uint8_t **payload, uint32_t *len, int *fds, int *nfds) {
  uint8_t header[5];
  union {
    char buf[CMSG_SPACE(sizeof(int) * FRAME_FDS)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = header, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  ssize_t r;
  do {
    r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) return -1;
  *nfds = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
    for (int i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + sizeof(int) * (size_t)i, sizeof fd);
      if (*nfds < FRAME_FDS) fds[(*nfds)++] = fd;
      else close(fd);
    }
  }
  if (frame_read_exact(sock, header + 1, 4) < 0) return -1;
  *type = header[0];
  *len = (uint32_t)header[1] << 24 | (uint32_t)header[2] << 16 | (uint32_t)header[3] << 8 | header[4];
  if (*len > FRAME_PAYLOAD_MAX) return -1;
  *payload = malloc(*len + 1);
  if (!*payload) return -1;
  if (frame_read_exact(sock, *payload, *len) < 0) {
    free(*payload);
    return -1;
  }
  (*payload)[*len] = 0;
  return 0;
}

static inline uint32_t frame_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void frame_put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

#endif
