/*
 * grove-net: the cell networker's hands, one long-lived process per networker (as Guardian wires
 * networks in-process): container network namespaces and veths over rtnetlink, and nftables
 * scripts through libnftables, so wiring a container costs no process start (an `ip` or `nft` exec
 * costs 5-30 ms here, the work itself well under one).
 *
 * usage: grove-net [<host netns path>]
 *   Enters the host network namespace (the cell's; default: its own) and stays there; container
 *   namespaces are entered only for the steps that must happen inside them.
 *
 * Requests arrive on stdin, one line of space-separated fields each ("-" for an absent field),
 * the last a length: that many bytes follow the line, an nft script run as one transaction in the
 * host namespace once the request's own work succeeded (so wiring a container and the rules that
 * go with it take one round trip):
 *   up <netns path> <adopt path|-> <bridge> <veth> <address> <prefix> <gateway> <mtu|0> <length>
 *       names a network namespace at <netns path> (a bind mount of <adopt path>, or a new one),
 *       disables IPv6 and brings lo up in it, makes sure <bridge> exists with <gateway>/<prefix>
 *       on it and is up, and creates the veth pair <veth> (host side, on the bridge) / eth0
 *       (inside) with <address>/<prefix> and a default route via <gateway>. A link left with the
 *       name <veth> is replaced. Nothing is undone on failure: `down` cleans up whatever exists.
 *   down <netns path> <veth|-> <length>
 *       cuts the veth off the bridge (its port disabled: no frame passes either way) and removes
 *       the namespace's name at once, then deletes the veth pair in the background (the kernel
 *       takes 20-30 ms to delete a device, mostly waiting for RCU grace periods). With the host
 *       name unknown, eth0 inside is deleted instead, in the foreground. What is gone is fine.
 *   settle <length>
 *       waits until the background deletions are done.
 *   nft <length>
 *       only the script.
 * Each answer is a line "ok <length>" or "err <length>" followed by <length> bytes (the error's
 * text). The process ends at the end of stdin.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONTAINER_IFNAME "eth0"

static int host_ns = -1;   /* the host namespace, to come back to */
static int host_nl = -1;   /* rtnetlink socket of the host namespace */
static char failure[4096]; /* what the last failed step said */
static __thread char nl_said[512]; /* the kernel's extended ack message, if any (per thread) */

static int failf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(failure, sizeof failure, fmt, ap);
  va_end(ap);
  return -1;
}

/* A step failed with errno `err`: record "<what>: <strerror>[ (<kernel's words>)]". */
static int fail_errno(const char *what, int err) {
  if (nl_said[0]) return failf("%s: %s (%s)", what, strerror(err), nl_said);
  return failf("%s: %s", what, strerror(err));
}

/* ---- rtnetlink ---- */

struct msg {
  struct nlmsghdr h;
  char body[2048];
};

static void *tail(struct msg *m) { return (char *)m + NLMSG_ALIGN(m->h.nlmsg_len); }

static struct rtattr *put(struct msg *m, unsigned short type, const void *data, size_t len) {
  struct rtattr *a = tail(m);
  a->rta_type = type;
  a->rta_len = RTA_LENGTH(len);
  if (len) memcpy(RTA_DATA(a), data, len);
  m->h.nlmsg_len = NLMSG_ALIGN(m->h.nlmsg_len) + RTA_ALIGN(a->rta_len);
  return a;
}

static void put_u32(struct msg *m, unsigned short type, unsigned v) { put(m, type, &v, sizeof v); }
static void put_str(struct msg *m, unsigned short type, const char *s) { put(m, type, s, strlen(s) + 1); }
static struct rtattr *nest(struct msg *m, unsigned short type) { return put(m, type, NULL, 0); }
static void end_nest(struct msg *m, struct rtattr *a) { a->rta_len = (char *)tail(m) - (char *)a; }

static void *start(struct msg *m, unsigned short type, unsigned short flags, size_t header) {
  memset(m, 0, sizeof *m);
  m->h.nlmsg_type = type;
  m->h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  m->h.nlmsg_len = NLMSG_LENGTH(header);
  return NLMSG_DATA(&m->h);
}

static int nl_open(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  return fd;
}

/* Sends one request and waits for its ack: 0, or -errno (nl_said holds the kernel's words). */
static int nl_talk(int fd, struct msg *m) {
  static __thread unsigned seq;
  m->h.nlmsg_seq = ++seq;
  nl_said[0] = 0;
  if (send(fd, m, m->h.nlmsg_len, 0) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != m->h.nlmsg_seq || h->nlmsg_type != NLMSG_ERROR) continue;
      struct nlmsgerr *e = NLMSG_DATA(h);
      if (e->error && (h->nlmsg_flags & NLM_F_ACK_TLVS)) {
        size_t off = sizeof *e + ((h->nlmsg_flags & NLM_F_CAPPED) ? 0 : e->msg.nlmsg_len - NLMSG_HDRLEN);
        int left = h->nlmsg_len - NLMSG_HDRLEN - off;
        for (struct rtattr *a = (struct rtattr *)((char *)e + off); RTA_OK(a, left); a = RTA_NEXT(a, left))
          if (a->rta_type == NLMSGERR_ATTR_MSG) snprintf(nl_said, sizeof nl_said, "%s", (char *)RTA_DATA(a));
      }
      return e->error;
    }
  }
}

/* Sets a link's flags (IFF_UP) and, unless 0, its master and MTU. */
static int link_set(int fd, int index, unsigned up, int master, int mtu) {
  struct msg m;
  struct ifinfomsg *ifi = start(&m, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_index = index;
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  if (master) put_u32(&m, IFLA_MASTER, master);
  if (mtu) put_u32(&m, IFLA_MTU, mtu);
  return nl_talk(fd, &m);
}

/* Deletes a link by name, or by index when `name` is NULL; one already gone is fine. */
static int link_delete(int fd, const char *name, int index) {
  struct msg m;
  struct ifinfomsg *ifi = start(&m, RTM_DELLINK, 0, sizeof *ifi);
  ifi->ifi_index = index;
  if (name) put_str(&m, IFLA_IFNAME, name);
  int err = nl_talk(fd, &m);
  return err == -ENODEV ? 0 : err;
}

/* Disables a bridge port: the bridge neither takes frames from it nor sends any to it. */
static int port_disable(int fd, int index) {
  struct msg m;
  struct ifinfomsg *ifi = start(&m, RTM_SETLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_BRIDGE;
  ifi->ifi_index = index;
  struct rtattr *info = nest(&m, IFLA_PROTINFO | NLA_F_NESTED);
  unsigned char state = BR_STATE_DISABLED;
  put(&m, IFLA_BRPORT_STATE, &state, 1);
  end_nest(&m, info);
  return nl_talk(fd, &m);
}

/* ---- background deletions: veths by index, on a thread of their own ---- */

static pthread_mutex_t reaper_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reaper_wake = PTHREAD_COND_INITIALIZER;
static int doomed[1024];
static int doomed_count, reaping;

static void *reaper(void *arg) {
  int nl = *(int *)arg;
  pthread_mutex_lock(&reaper_lock);
  for (;;) {
    while (doomed_count == 0) pthread_cond_wait(&reaper_wake, &reaper_lock);
    int index = doomed[--doomed_count];
    reaping = 1;
    pthread_mutex_unlock(&reaper_lock);
    int err = link_delete(nl, NULL, index);
    if (err) fprintf(stderr, "grove-net: delete link %d: %s\n", index, strerror(-err));
    pthread_mutex_lock(&reaper_lock);
    reaping = 0;
    pthread_cond_broadcast(&reaper_wake);
  }
  return NULL;
}

/* Queues a link for deletion; 0, or -1 when the queue is full (the caller deletes it itself). */
static int doom(int index) {
  pthread_mutex_lock(&reaper_lock);
  int queued = doomed_count < (int)(sizeof doomed / sizeof *doomed);
  if (queued) doomed[doomed_count++] = index;
  pthread_cond_broadcast(&reaper_wake);
  pthread_mutex_unlock(&reaper_lock);
  return queued ? 0 : -1;
}

static void settle(void) {
  pthread_mutex_lock(&reaper_lock);
  while (doomed_count > 0 || reaping) pthread_cond_wait(&reaper_wake, &reaper_lock);
  pthread_mutex_unlock(&reaper_lock);
}

/* Adds address/prefix to a link (an address already there is fine). */
static int addr_add(int fd, int index, struct in_addr address, int prefix) {
  struct msg m;
  struct ifaddrmsg *ifa = start(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = prefix;
  ifa->ifa_index = index;
  put(&m, IFA_LOCAL, &address, 4);
  put(&m, IFA_ADDRESS, &address, 4);
  if (prefix < 31) {
    struct in_addr brd = {address.s_addr | htonl(prefix ? 0xffffffffu >> prefix : 0xffffffffu)};
    put(&m, IFA_BROADCAST, &brd, 4);
  }
  int err = nl_talk(fd, &m);
  return err == -EEXIST ? 0 : err;
}

static int default_route(int fd, int index, struct in_addr gateway) {
  struct msg m;
  struct rtmsg *rt = start(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof *rt);
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  put(&m, RTA_GATEWAY, &gateway, 4);
  put_u32(&m, RTA_OIF, index);
  return nl_talk(fd, &m);
}

/* The bridge, with the gateway address on it, up; made when missing. Returns its index or -1. */
static int ensure_bridge(const char *bridge, struct in_addr gateway, int prefix, int mtu) {
  int index = if_nametoindex(bridge);
  if (!index) {
    struct msg m;
    start(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
    put_str(&m, IFLA_IFNAME, bridge);
    if (mtu) put_u32(&m, IFLA_MTU, mtu);
    /* A fixed address (locally administered, from the gateway's): a bridge without one takes its
     * lowest port's, and changes it whenever that port goes, which strands the gateway's entry in
     * every container's ARP cache. */
    unsigned char mac[6] = {0x02, 0x67};
    memcpy(mac + 2, &gateway.s_addr, 4);
    put(&m, IFLA_ADDRESS, mac, sizeof mac);
    struct rtattr *info = nest(&m, IFLA_LINKINFO);
    put_str(&m, IFLA_INFO_KIND, "bridge");
    end_nest(&m, info);
    int err = nl_talk(host_nl, &m);
    if (err && err != -EEXIST) return fail_errno("create bridge", -err);
    index = if_nametoindex(bridge);
    if (!index) return fail_errno("find bridge", errno);
  }
  int err = addr_add(host_nl, index, gateway, prefix);
  if (err) return fail_errno("put the gateway address on the bridge", -err);
  err = link_set(host_nl, index, 1, 0, 0);
  if (err) return fail_errno("set the bridge up", -err);
  return index;
}

/* ---- namespaces ---- */

static int back_home(void) {
  if (setns(host_ns, CLONE_NEWNET) != 0) {
    fprintf(stderr, "grove-net: cannot return to the host namespace: %s\n", strerror(errno));
    exit(1); /* the caller starts a new helper */
  }
  return 0;
}

/* As `ip netns add` does: the directory of names is a shared mount, so a name removed here is removed everywhere. */
static int shared_netns_dir(const char *path) {
  static int done;
  if (done) return 0;
  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || slash == dir) return failf("netns path %s: want /dir/name", path);
  *slash = 0;
  if (mkdir(dir, 0755) != 0 && errno != EEXIST) return fail_errno("make the netns directory", errno);
  int bound = 0;
  while (mount("", dir, "none", MS_SHARED | MS_REC, NULL) != 0) {
    if (errno != EINVAL || bound) return fail_errno("share the netns directory", errno);
    if (mount(dir, dir, "none", MS_BIND | MS_REC, NULL) != 0) return fail_errno("bind the netns directory", errno);
    bound = 1;
  }
  done = 1;
  return 0;
}

/* Names a namespace at `path`: a bind mount of `adopt`, or of a new namespace. */
static int name_netns(const char *path, const char *adopt) {
  if (shared_netns_dir(path)) return -1;
  umount2(path, MNT_DETACH); /* a name left behind by a crash */
  int fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0);
  if (fd < 0) return fail_errno("create the netns name", errno);
  close(fd);
  int err = 0;
  if (adopt) {
    if (mount(adopt, path, "none", MS_BIND, NULL) != 0) err = errno;
  } else {
    if (unshare(CLONE_NEWNET) != 0) err = errno;
    else if (mount("/proc/thread-self/ns/net", path, "none", MS_BIND, NULL) != 0) err = errno;
    back_home();
  }
  if (!err) return 0;
  unlink(path);
  return fail_errno(adopt ? "name the container's netns" : "create a netns", err);
}

static int write_file(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -errno; /* a kernel without IPv6 */
  int ok = write(fd, value, strlen(value)) >= 0 ? 0 : -errno;
  close(fd);
  return ok;
}

/* Inside the container's namespace (entered): no IPv6 (the cell filters IPv4 only), lo up. */
static int prepare_inside(int nl) {
  int err = write_file("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
  if (!err) err = write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  if (err) return fail_errno("disable IPv6 in the container", -err);
  err = link_set(nl, if_nametoindex("lo"), 1, 0, 0);
  return err ? fail_errno("set lo up", -err) : 0;
}

/* Inside the container's namespace (entered): eth0's address, up, default route. */
static int address_inside(int nl, struct in_addr address, int prefix, struct in_addr gateway) {
  int index = if_nametoindex(CONTAINER_IFNAME);
  if (!index) return fail_errno("find eth0 in the container", errno);
  int err = addr_add(nl, index, address, prefix);
  if (err) return fail_errno("put the address on eth0", -err);
  if ((err = link_set(nl, index, 1, 0, 0))) return fail_errno("set eth0 up", -err);
  if ((err = default_route(nl, index, gateway))) return fail_errno("add the default route", -err);
  return 0;
}

/* Runs `step` inside the namespace open as `ns`, with a netlink socket of that namespace. */
static int inside(int ns, int (*step)(int nl, void *arg), void *arg) {
  if (setns(ns, CLONE_NEWNET) != 0) return fail_errno("enter the container's netns", errno);
  int nl = nl_open();
  int result = nl < 0 ? fail_errno("open netlink in the container's netns", errno) : step(nl, arg);
  if (nl >= 0) close(nl);
  back_home();
  return result;
}

struct up_args {
  struct in_addr address, gateway;
  int prefix;
};

static int step_prepare(int nl, void *arg) {
  (void)arg;
  return prepare_inside(nl);
}

static int step_address(int nl, void *arg) {
  struct up_args *a = arg;
  return address_inside(nl, a->address, a->prefix, a->gateway);
}

static int parse_ipv4(const char *text, struct in_addr *out) {
  return inet_pton(AF_INET, text, out) == 1 ? 0 : failf("not an IPv4 address: %s", text);
}

static int up(char **f) {
  const char *path = f[1], *adopt = strcmp(f[2], "-") ? f[2] : NULL, *bridge = f[3], *veth = f[4];
  struct up_args a;
  a.prefix = atoi(f[6]);
  int mtu = atoi(f[8]);
  if (parse_ipv4(f[5], &a.address) || parse_ipv4(f[7], &a.gateway)) return -1;
  if (strlen(veth) >= IFNAMSIZ || strlen(bridge) >= IFNAMSIZ) return failf("device name too long");
  if (name_netns(path, adopt)) return -1;
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) return fail_errno("open the container's netns", errno);
  int result = -1, err;
  if (inside(ns, step_prepare, NULL)) goto out;
  int master = ensure_bridge(bridge, a.gateway, a.prefix, mtu);
  if (master < 0) goto out;
  if ((err = link_delete(host_nl, veth, 0))) {
    fail_errno("delete a stale veth", -err);
    goto out;
  }
  struct msg m;
  struct ifinfomsg *ifi = start(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  put_str(&m, IFLA_IFNAME, veth);
  put_u32(&m, IFLA_MASTER, master);
  if (mtu) put_u32(&m, IFLA_MTU, mtu);
  struct rtattr *info = nest(&m, IFLA_LINKINFO);
  put_str(&m, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest(&m, IFLA_INFO_DATA);
  struct rtattr *peer = nest(&m, VETH_INFO_PEER);
  struct ifinfomsg *peer_ifi = tail(&m);
  memset(peer_ifi, 0, sizeof *peer_ifi);
  m.h.nlmsg_len += NLMSG_ALIGN(sizeof *peer_ifi);
  put_str(&m, IFLA_IFNAME, CONTAINER_IFNAME);
  put_u32(&m, IFLA_NET_NS_FD, ns);
  if (mtu) put_u32(&m, IFLA_MTU, mtu);
  end_nest(&m, peer);
  end_nest(&m, data);
  end_nest(&m, info);
  if ((err = nl_talk(host_nl, &m))) {
    fail_errno("create the veth pair", -err);
    goto out;
  }
  result = inside(ns, step_address, &a);
out:
  close(ns);
  return result;
}

static int down(char **f) {
  const char *path = f[1], *veth = strcmp(f[2], "-") ? f[2] : NULL;
  int err;
  int index = veth ? if_nametoindex(veth) : 0;
  if (index) {
    /* not a bridge port (a crash between creating and enslaving it): nothing to cut off */
    err = port_disable(host_nl, index);
    if (err && err != -EINVAL && err != -EOPNOTSUPP && err != -ENODEV) return fail_errno("cut the veth off the bridge", -err);
    if (doom(index) && (err = link_delete(host_nl, NULL, index))) return fail_errno("delete the veth", -err);
  }
  struct stat st;
  if (stat(path, &st) != 0) return 0;
  if (!veth) {
    /* a name whose mount is gone is a plain file: setns refuses it, and nothing is inside */
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns >= 0 && setns(ns, CLONE_NEWNET) == 0) {
      int nl = nl_open();
      err = nl < 0 ? -errno : link_delete(nl, CONTAINER_IFNAME, 0);
      if (nl >= 0) close(nl);
      back_home();
      if (err) {
        close(ns);
        return fail_errno("delete eth0", -err);
      }
    }
    if (ns >= 0) close(ns);
  }
  if (umount2(path, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    return fail_errno("unmount the netns name", errno);
  if (unlink(path) != 0 && errno != ENOENT) return fail_errno("remove the netns name", errno);
  return 0;
}

/* ---- nftables (libnftables, loaded when first needed) ---- */

struct nft_ctx;
static struct nft_ctx *nft;
static int (*nft_run)(struct nft_ctx *, const char *);
static const char *(*nft_errors)(struct nft_ctx *);

static int nft_script(const char *script) {
  if (!nft) {
    void *lib = dlopen("libnftables.so.1", RTLD_NOW);
    if (!lib) return failf("cannot load libnftables.so.1 (install nftables): %s", dlerror());
    struct nft_ctx *(*ctx_new)(unsigned) = (struct nft_ctx * (*)(unsigned)) dlsym(lib, "nft_ctx_new");
    int (*buffer_output)(struct nft_ctx *) = (int (*)(struct nft_ctx *))dlsym(lib, "nft_ctx_buffer_output");
    int (*buffer_error)(struct nft_ctx *) = (int (*)(struct nft_ctx *))dlsym(lib, "nft_ctx_buffer_error");
    nft_run = (int (*)(struct nft_ctx *, const char *))dlsym(lib, "nft_run_cmd_from_buffer");
    nft_errors = (const char *(*)(struct nft_ctx *))dlsym(lib, "nft_ctx_get_error_buffer");
    if (!ctx_new || !buffer_output || !buffer_error || !nft_run || !nft_errors)
      return failf("libnftables.so.1 lacks the functions grove-net needs");
    nft = ctx_new(0);
    if (!nft) return failf("nft_ctx_new failed");
    buffer_output(nft);
    buffer_error(nft);
  }
  if (nft_run(nft, script) != 0) return failf("%s", nft_errors(nft));
  nft_errors(nft); /* reading the buffer empties it */
  return 0;
}

/* ---- conntrack: the host namespace's table as text, without a process start ---- */

static char *conntrack_text;

static int conntrack_list(void) {
  free(conntrack_text);
  conntrack_text = NULL;
  int fd = open("/proc/thread-self/net/nf_conntrack", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail_errno("read /proc/net/nf_conntrack", errno);
  size_t size = 0, room = 0;
  char *text = NULL;
  for (;;) {
    if (size == room) {
      char *more = realloc(text, (room = room ? room * 2 : 65536) + 1);
      if (!more) {
        close(fd);
        free(text);
        return failf("out of memory reading conntrack");
      }
      text = more;
    }
    ssize_t n = read(fd, text + size, room - size);
    if (n <= 0) {
      int err = errno;
      close(fd);
      if (n == 0) break;
      free(text);
      return fail_errno("read /proc/net/nf_conntrack", err);
    }
    size += (size_t)n;
  }
  text[size] = 0;
  conntrack_text = text;
  return 0;
}

/* ---- the request loop ---- */

static void answer(int ok, const char *text) {
  printf("%s %zu\n%s", ok ? "ok" : "err", strlen(text), text);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc > 2) {
    fprintf(stderr, "usage: grove-net [<host netns path>]\n");
    return 2;
  }
  if (argc == 2) {
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      fprintf(stderr, "grove-net: cannot enter %s: %s\n", argv[1], strerror(errno));
      return 1;
    }
    close(fd);
  }
  host_ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  /* the deletion thread and the sockets stay in the host namespace; only this thread moves */
  host_nl = nl_open();
  if (host_ns < 0 || host_nl < 0) {
    fprintf(stderr, "grove-net: cannot open the host namespace: %s\n", strerror(errno));
    return 1;
  }
  static int reaper_nl;
  pthread_t thread;
  if ((reaper_nl = nl_open()) < 0 || pthread_create(&thread, NULL, reaper, &reaper_nl) != 0) {
    fprintf(stderr, "grove-net: cannot start the deletion thread\n");
    return 1;
  }
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    char *f[11];
    int n = 0;
    for (char *save, *t = strtok_r(line, " \n", &save); t && n < 11; t = strtok_r(NULL, " \n", &save)) f[n++] = t;
    size_t length = n > 1 ? strtoul(f[n - 1], NULL, 10) : 0;
    char *script = malloc(length + 1);
    if (!script || fread(script, 1, length, stdin) != length) {
      fprintf(stderr, "grove-net: short request\n");
      return 1;
    }
    script[length] = 0;
    failure[0] = 0;
    int result;
    if (n == 10 && !strcmp(f[0], "up")) {
      result = up(f);
    } else if (n == 4 && !strcmp(f[0], "down")) {
      result = down(f);
    } else if (n == 2 && !strcmp(f[0], "settle")) {
      settle();
      result = 0;
    } else if (n == 2 && !strcmp(f[0], "nft")) {
      result = 0;
    } else if (n == 2 && !strcmp(f[0], "conntrack")) {
      result = conntrack_list();
    } else {
      result = failf("unknown request");
    }
    if (result == 0 && length > 0 && (result = nft_script(script)) && strcmp(f[0], "nft")) {
      char said[sizeof failure];
      snprintf(said, sizeof said, "%s", failure);
      failf("apply the rules: %s", said);
    }
    free(script);
    answer(result == 0, result != 0 ? failure : conntrack_text && !strcmp(f[0], "conntrack") ? conntrack_text : "");
  }
  /* the networker is gone (closed, or its process exited): finish the deletions it was promised,
   * or a veth cut off its bridge would stay behind */
  settle();
  return 0;
}
