/* riposte-spawner: starts riposte's actions with posix_spawnp on its behalf, because
 * fork() of the large Node process costs about 1 ms per action and posix_spawn (a vfork-like
 * clone in glibc) a small flat cost. Owns the running actions; receives start and kill
 * requests on stdin; sends one result per action on stdout.
 *
 * File descriptors, as src/daemon/spawner.ts sets them up:
 *   0  requests from riposte (pipe)       1  results to riposte (pipe)
 *   2  this helper's own diagnostics      3  riposte's real stdout, lent to the actions
 * An action gets 0 = /dev/null, 1 = our fd 3 (or /dev/null if fd 3 was not given), 2 = a pipe
 * read here (the last 2048 bytes are kept), and nothing else: our other descriptors are
 * close-on-exec. It runs in its own process group, with an empty signal mask and every signal
 * at its default action.
 *
 * Frames, little-endian integers:
 *   'S' u32 id, u32 argc, argc x (u32 length, bytes)   start argv, PATH lookup as execvp
 *   'K' u32 id, u32 signal                             signal the action's process group
 *   'N' u32 id, u32 length, address, u32 length, bytes send one datagram to a unix socket
 *   'X' u32 id, i32 status, u32 length, bytes          the action's end and its stderr tail
 * status: the exit code 0-255, 1000 + signal number, or 2000 + errno when it could not start
 * (E2BIG for a request frame over 1 MiB, EINVAL for argc 0 or a NUL byte in an argument).
 * A result is sent once the action has exited and its stderr reached end of file, or 100 ms
 * after it exited if a grandchild still holds that pipe open; such a pipe is then read and
 * discarded until its end, so the grandchild neither blocks nor dies of SIGPIPE writing to it.
 *
 * 'N' is systemd's notify protocol (sd_notify), which Node cannot speak: it has no unix
 * datagram sockets. The address is a path, or an abstract name when it starts with '@'. The
 * datagram is sent without waiting (a full queue is EAGAIN, never a stalled helper) and
 * answered at once by an 'X' with status 0, or 2000 + errno.
 *
 * At end of file on stdin: stops reading, lets the running actions finish (never kills them:
 * they may be bans being applied), reports them while stdout is writable, then exits 0.
 * An unknown frame type is treated the same way, but the exit status is 1. SIGINT, SIGTERM
 * and SIGHUP are ignored: the end of stdin is what ends this helper, so riposte stays in charge
 * of its actions when a terminal or a service manager signals every process at once. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TAIL_KEPT 2048
#define FRAME_MAX (1u << 20)
#define READ_CHUNK 65536
#define DRAIN_MS 100
#define STATUS_SIGNAL 1000
#define STATUS_ERRNO 2000

struct action {
  uint32_t id;
  pid_t pid;          /* > 0 until reaped */
  int fd;             /* stderr pipe, -1 once at end of file or given up */
  int status;         /* the result status, once reaped */
  long long deadline; /* when to stop waiting for the stderr pipe, once reaped */
  size_t tail_len;
  char tail[TAIL_KEPT];
};

/* Skipping the rest of an oversized 'S' frame without holding it. */
struct skip {
  int active;
  uint64_t bytes;     /* to discard before the next length field */
  uint32_t elements;  /* (length, bytes) pairs still to discard after that */
  unsigned char len[4];
  unsigned len_have;
};

static struct action **actions;
static size_t action_count, action_cap;
static int *lingering; /* stderr pipes of reported actions, still held by a grandchild */
static size_t lingering_count, lingering_cap;
static struct pollfd *polls;
static size_t poll_cap;

static unsigned char *in_buf;
static size_t in_len;
static struct skip skip;
static int reading = 1;
static int exit_code;

static unsigned char *out_buf;
static size_t out_len, out_cap;
static int out_dead;

static int wake[2];
static int dev_null;
static int notify_fd = -1;
static posix_spawnattr_t spawn_attr;

static void die(const char *what) {
  fprintf(stderr, "riposte-spawner: cannot %s: %s\n", what, strerror(errno));
  exit(2);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return p;
  size_t cap2 = *cap == 0 ? 64 : *cap;
  while (cap2 < need) cap2 *= 2;
  void *q = realloc(p, cap2 * size);
  if (q == NULL) die("allocate memory");
  *cap = cap2;
  return q;
}

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static void set_flag(int fd, int get, int set, int flag) {
  int flags = fcntl(fd, get);
  if (flags < 0 || fcntl(fd, set, flags | flag) < 0) die("set descriptor flags");
}

/* ---- results ------------------------------------------------------------------------ */

static void send_result(uint32_t id, int status, const char *tail, size_t len) {
  if (out_dead) return;
  out_buf = grow(out_buf, &out_cap, out_len + 13 + len, 1);
  unsigned char *p = out_buf + out_len;
  p[0] = 'X';
  put32(p + 1, id);
  put32(p + 5, (uint32_t)status);
  put32(p + 9, (uint32_t)len);
  if (len > 0) memcpy(p + 13, tail, len);
  out_len += 13 + len;
}

/* Writes what stdout takes without blocking; a closed stdout drops the results. */
static void flush_results(void) {
  size_t done = 0;
  while (done < out_len && !out_dead) {
    ssize_t n = write(1, out_buf + done, out_len - done);
    if (n > 0) done += (size_t)n;
    else if (n < 0 && errno == EINTR) continue;
    else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    else out_dead = 1;
  }
  if (out_dead) done = out_len;
  if (done == 0) return;
  memmove(out_buf, out_buf + done, out_len - done);
  out_len -= done;
}

/* ---- actions ------------------------------------------------------------------------ */

static void keep_tail(struct action *a, const char *data, size_t n) {
  if (n >= TAIL_KEPT) {
    memcpy(a->tail, data + n - TAIL_KEPT, TAIL_KEPT);
    a->tail_len = TAIL_KEPT;
  } else if (a->tail_len + n <= TAIL_KEPT) {
    memcpy(a->tail + a->tail_len, data, n);
    a->tail_len += n;
  } else {
    size_t keep = TAIL_KEPT - n;
    memmove(a->tail, a->tail + a->tail_len - keep, keep);
    memcpy(a->tail + keep, data, n);
    a->tail_len = TAIL_KEPT;
  }
}

static void close_stderr(struct action *a) {
  close(a->fd);
  a->fd = -1;
}

/* One read per wake-up keeps a chatty action from starving the others. */
static void read_stderr(struct action *a) {
  char buf[READ_CHUNK];
  ssize_t n = read(a->fd, buf, sizeof buf);
  if (n > 0) keep_tail(a, buf, (size_t)n);
  else if (n == 0 || (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) close_stderr(a);
}

static int decode_status(int w) {
  if (WIFSIGNALED(w)) return STATUS_SIGNAL + WTERMSIG(w);
  return WEXITSTATUS(w);
}

static struct action *find_pid(pid_t pid) {
  for (size_t i = 0; i < action_count; i++)
    if (actions[i]->pid == pid) return actions[i];
  return NULL;
}

static void reap(void) {
  for (;;) {
    int w;
    pid_t pid = waitpid(-1, &w, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    struct action *a = find_pid(pid);
    if (a == NULL) continue;
    a->pid = 0;
    a->status = decode_status(w);
    a->deadline = now_ms() + DRAIN_MS;
  }
}

static void linger(struct action *a) {
  lingering = grow(lingering, &lingering_cap, lingering_count + 1, sizeof *lingering);
  lingering[lingering_count++] = a->fd;
  a->fd = -1;
}

/* Discards what a grandchild writes; forgets the pipe at its end. */
static void drain_lingering(const struct pollfd *p, size_t count) {
  char buf[READ_CHUNK];
  for (size_t i = 0; i < count; i++) {
    if (p[i].revents == 0) continue;
    ssize_t n = read(p[i].fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)) {
      close(p[i].fd);
      lingering[i] = -1;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < lingering_count; i++)
    if (lingering[i] >= 0) lingering[kept++] = lingering[i];
  lingering_count = kept;
}

/* Reports and forgets the actions that are over; a pipe past its deadline gets one last read. */
static void sweep(long long now) {
  size_t i = 0;
  while (i < action_count) {
    struct action *a = actions[i];
    if (a->pid == 0 && a->fd >= 0 && now >= a->deadline) {
      read_stderr(a);
      if (a->fd >= 0) linger(a);
    }
    if (a->pid != 0 || a->fd >= 0) {
      i++;
      continue;
    }
    send_result(a->id, a->status, a->tail, a->tail_len);
    free(a);
    actions[i] = actions[--action_count];
  }
}

static int spawn(struct action *a, char **argv) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) return errno;
  posix_spawn_file_actions_t fa;
  int err = posix_spawn_file_actions_init(&fa);
  if (err == 0) err = posix_spawn_file_actions_adddup2(&fa, dev_null, 0);
  if (err == 0) err = posix_spawn_file_actions_adddup2(&fa, 3, 1);
  if (err == 0) err = posix_spawn_file_actions_adddup2(&fa, pipe_fds[1], 2);
  if (err == 0) err = posix_spawnp(&a->pid, argv[0], &fa, &spawn_attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(pipe_fds[1]);
  if (err != 0) {
    close(pipe_fds[0]);
    return err;
  }
  set_flag(pipe_fds[0], F_GETFL, F_SETFL, O_NONBLOCK);
  a->fd = pipe_fds[0];
  return 0;
}

static void start(uint32_t id, char **argv) {
  struct action *a = calloc(1, sizeof *a);
  if (a == NULL) die("allocate memory");
  a->id = id;
  a->fd = -1;
  int err = spawn(a, argv);
  if (err != 0) {
    free(a);
    send_result(id, STATUS_ERRNO + err, NULL, 0);
    return;
  }
  actions = grow(actions, &action_cap, action_count + 1, sizeof *actions);
  actions[action_count++] = a;
}

static void signal_action(uint32_t id, uint32_t sig) {
  for (size_t i = 0; i < action_count; i++) {
    struct action *a = actions[i];
    if (a->id != id || a->pid == 0) continue;
    /* Only until reaped: after that the group id may belong to a stranger. */
    if (kill(-a->pid, (int)sig) < 0 && errno == ESRCH) kill(a->pid, (int)sig);
    return;
  }
}

/* ---- requests ----------------------------------------------------------------------- */

enum scan { COMPLETE, INCOMPLETE, TOO_BIG };

static int send_datagram(const unsigned char *addr, size_t addr_len, const unsigned char *msg,
                         size_t len) {
  struct sockaddr_un sun;
  memset(&sun, 0, sizeof sun);
  if (addr_len < 2 || addr_len >= sizeof sun.sun_path) return EINVAL;
  if (memchr(addr, '\0', addr_len) != NULL) return EINVAL;
  if (addr[0] != '/' && addr[0] != '@') return EAFNOSUPPORT;
  sun.sun_family = AF_UNIX;
  memcpy(sun.sun_path, addr, addr_len);
  if (sun.sun_path[0] == '@') sun.sun_path[0] = '\0';
  if (notify_fd < 0) {
    notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (notify_fd < 0) return errno;
  }
  struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_name = &sun;
  mh.msg_namelen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + addr_len);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  ssize_t n;
  do n = sendmsg(notify_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n < 0 ? errno : 0;
}

/* 'N' u32 id, u32 address length, address, u32 message length, message. */
static enum scan scan_notify(const unsigned char *p, size_t avail, size_t *size) {
  if (avail < 9) return INCOMPLETE;
  uint32_t addr_len = get32(p + 5);
  if (addr_len > 4096) return TOO_BIG;
  if (avail < 13 + (size_t)addr_len) return INCOMPLETE;
  uint32_t len = get32(p + 9 + addr_len);
  if (len > FRAME_MAX - 13 - addr_len) return TOO_BIG;
  *size = 13 + (size_t)addr_len + len;
  return avail < *size ? INCOMPLETE : COMPLETE;
}

static void notify_frame(const unsigned char *p) {
  uint32_t addr_len = get32(p + 5);
  uint32_t len = get32(p + 9 + addr_len);
  int err = send_datagram(p + 9, addr_len, p + 13 + addr_len, len);
  send_result(get32(p + 1), err == 0 ? 0 : STATUS_ERRNO + err, NULL, 0);
}


/* Walks an 'S' frame; on TOO_BIG, *size is where the unread elements begin and *left their
 * number, so the rest can be skipped without being held. */
static enum scan scan_start(const unsigned char *p, size_t avail, size_t *size, uint32_t *left) {
  if (avail < 9) return INCOMPLETE;
  uint32_t argc = get32(p + 5);
  size_t off = 9;
  for (uint32_t i = 0; i < argc; i++) {
    *size = off;
    *left = argc - i;
    if (off + 4 > FRAME_MAX) return TOO_BIG;
    if (off + 4 > avail) return INCOMPLETE;
    uint32_t len = get32(p + off);
    if (off + 4 + (uint64_t)len > FRAME_MAX) return TOO_BIG;
    off += 4 + (size_t)len;
    if (off > avail) return INCOMPLETE;
  }
  *size = off;
  return COMPLETE;
}

static void start_frame(const unsigned char *p, size_t size) {
  uint32_t id = get32(p + 1), argc = get32(p + 5);
  char **argv = malloc(((size_t)argc + 1) * sizeof *argv);
  char *strings = malloc(size);
  if (argv == NULL || strings == NULL) die("allocate memory");
  size_t off = 9;
  char *s = strings;
  int bad = argc == 0;
  for (uint32_t i = 0; i < argc; i++) {
    uint32_t len = get32(p + off);
    memcpy(s, p + off + 4, len);
    if (memchr(s, '\0', len) != NULL) bad = 1;
    s[len] = '\0';
    argv[i] = s;
    s += (size_t)len + 1;
    off += 4 + (size_t)len;
  }
  argv[argc] = NULL;
  if (bad) send_result(id, STATUS_ERRNO + EINVAL, NULL, 0);
  else start(id, argv);
  free(strings);
  free(argv);
}

/* Discards an oversized frame's remaining bytes; returns how many of n it consumed. */
static size_t skip_bytes(const unsigned char *p, size_t n) {
  size_t used = 0;
  while (used < n && skip.active) {
    if (skip.bytes > 0) {
      size_t take = n - used < skip.bytes ? n - used : (size_t)skip.bytes;
      skip.bytes -= take;
      used += take;
    } else if (skip.elements == 0) {
      skip.active = 0;
    } else {
      skip.len[skip.len_have++] = p[used++];
      if (skip.len_have < 4) continue;
      skip.bytes = get32(skip.len);
      skip.len_have = 0;
      skip.elements--;
    }
  }
  if (skip.active && skip.bytes == 0 && skip.elements == 0) skip.active = 0;
  return used;
}

static void refuse_start(const unsigned char *p, uint32_t left) {
  send_result(get32(p + 1), STATUS_ERRNO + E2BIG, NULL, 0);
  skip.active = 1;
  skip.bytes = 0;
  skip.elements = left;
  skip.len_have = 0;
}

static void protocol_error(unsigned char type) {
  if (type == 'N')
    fprintf(stderr, "riposte-spawner: cannot read request: notification frame too large\n");
  else
    fprintf(stderr, "riposte-spawner: cannot read request: unknown frame type 0x%02x\n", type);
  reading = 0;
  exit_code = 1;
}

/* Handles the whole frames at p; returns how many bytes they took. */
static size_t handle_frames(const unsigned char *p, size_t n) {
  size_t pos = 0;
  while (pos < n && reading) {
    if (skip.active) {
      pos += skip_bytes(p + pos, n - pos);
      continue;
    }
    size_t size = 0;
    uint32_t left = 0;
    if (p[pos] == 'K') {
      if (n - pos < 9) break;
      signal_action(get32(p + pos + 1), get32(p + pos + 5));
      pos += 9;
    } else if (p[pos] == 'N') {
      enum scan r = scan_notify(p + pos, n - pos, &size);
      if (r == INCOMPLETE) break;
      if (r == TOO_BIG) {
        protocol_error(p[pos]);
        break;
      }
      notify_frame(p + pos);
      pos += size;
    } else if (p[pos] == 'S') {
      enum scan r = scan_start(p + pos, n - pos, &size, &left);
      if (r == INCOMPLETE) break;
      if (r == COMPLETE) start_frame(p + pos, size);
      else refuse_start(p + pos, left);
      pos += size;
    } else {
      protocol_error(p[pos]);
    }
  }
  return pos;
}

static void read_requests(void) {
  ssize_t n = read(0, in_buf + in_len, FRAME_MAX + READ_CHUNK - in_len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) return;
  if (n <= 0) {
    if (in_len > 0 || skip.active)
      fprintf(stderr, "riposte-spawner: request cut short by end of input\n");
    reading = 0;
    return;
  }
  in_len += (size_t)n;
  size_t used = handle_frames(in_buf, in_len);
  memmove(in_buf, in_buf + used, in_len - used);
  in_len -= used;
}

/* ---- set-up and loop ---------------------------------------------------------------- */

static void on_child(int sig) {
  int saved = errno;
  (void)sig;
  ssize_t ignored = write(wake[1], "c", 1);
  (void)ignored;
  errno = saved;
}

static void drain_wake(void) {
  char buf[256];
  while (read(wake[0], buf, sizeof buf) > 0) continue;
}

/* Descriptors 0-3 must be taken, so no pipe lands on them and fd 3 can be lent as is. */
static void claim_low_fds(void) {
  for (int fd = 0; fd <= 3; fd++) {
    if (fcntl(fd, F_GETFD) >= 0) continue;
    int got = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (got != fd) die("open /dev/null");
  }
  set_flag(3, F_GETFD, F_SETFD, FD_CLOEXEC);
}

/* Results go through a buffer so a slow reader never stops the reaping. A terminal or file
 * is left blocking: its open file description may be shared with other processes. */
static void nonblocking_stdout(void) {
  struct stat st;
  if (fstat(1, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)))
    set_flag(1, F_GETFL, F_SETFL, O_NONBLOCK);
}

static void set_up_signals(void) {
  if (pipe2(wake, O_CLOEXEC | O_NONBLOCK) < 0) die("create a pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  sa.sa_handler = on_child;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) die("handle SIGCHLD");
  sa.sa_handler = SIG_IGN;
  sa.sa_flags = 0;
  int ignored[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP };
  for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++) sigaction(ignored[i], &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

static void set_up_spawn(void) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (posix_spawnattr_init(&spawn_attr) != 0 || posix_spawnattr_setflags(&spawn_attr, flags) != 0 ||
      posix_spawnattr_setpgroup(&spawn_attr, 0) != 0 ||
      posix_spawnattr_setsigmask(&spawn_attr, &none) != 0 ||
      posix_spawnattr_setsigdefault(&spawn_attr, &all) != 0)
    die("set up posix_spawn attributes");
  dev_null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (dev_null < 0) die("open /dev/null");
}

static void set_up(void) {
  claim_low_fds();
  nonblocking_stdout();
  set_up_signals();
  set_up_spawn();
  in_buf = malloc(FRAME_MAX + READ_CHUNK);
  if (in_buf == NULL) die("allocate memory");
}

static int poll_timeout(long long now) {
  long long first = -1;
  for (size_t i = 0; i < action_count; i++) {
    struct action *a = actions[i];
    if (a->pid == 0 && a->fd >= 0 && (first < 0 || a->deadline < first)) first = a->deadline;
  }
  if (first < 0) return -1;
  return first <= now ? 0 : (int)(first - now);
}

/* Fills the poll set: wake pipe, stdin, stdout, one entry per action's stderr pipe (-1 once
 * closed), then the lingering pipes; returns the entry count. */
static size_t fill_polls(void) {
  size_t count = 3 + action_count + lingering_count;
  polls = grow(polls, &poll_cap, count, sizeof *polls);
  polls[0] = (struct pollfd){ .fd = wake[0], .events = POLLIN };
  polls[1] = (struct pollfd){ .fd = reading ? 0 : -1, .events = POLLIN };
  polls[2] = (struct pollfd){ .fd = out_len > 0 && !out_dead ? 1 : -1, .events = POLLOUT };
  struct pollfd *p = polls + 3;
  for (size_t i = 0; i < action_count; i++)
    *p++ = (struct pollfd){ .fd = actions[i]->fd, .events = POLLIN };
  for (size_t i = 0; i < lingering_count; i++)
    *p++ = (struct pollfd){ .fd = lingering[i], .events = POLLIN };
  return count;
}

static void serve(void) {
  while (reading || action_count > 0 || (out_len > 0 && !out_dead)) {
    size_t covered = action_count;
    size_t count = fill_polls();
    if (poll(polls, count, poll_timeout(now_ms())) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (polls[0].revents) drain_wake();
    reap();
    for (size_t i = 0; i < covered; i++)
      if (polls[3 + i].revents && actions[i]->fd >= 0) read_stderr(actions[i]);
    drain_lingering(polls + 3 + covered, lingering_count);
    if (polls[1].revents) read_requests();
    sweep(now_ms());
    flush_results();
  }
}

int main(void) {
  set_up();
  serve();
  return exit_code;
}
