/* riposte-stream-guard: runs a stream's command so that it dies with riposte. A stream
 * command runs in a process group of its own, which riposte signals as a whole to stop it;
 * when riposte is killed (SIGKILL, a crash), nothing would stop it, and the next daemon would
 * read beside it. This guard leads that group: it asks the kernel for SIGUSR1 when its parent
 * dies (PR_SET_PDEATHSIG: sent when the thread that forked it ends, and riposte forks from its
 * main thread), runs the command as its child in the same group, and on that signal, once
 * its parent is no longer riposte, kills the whole group. Otherwise it waits for the command
 * and ends as it ended.
 *
 * Usage: riposte-stream-guard PROGRAM [ARG...]   (PATH lookup as execvp)
 * Ends with the command's exit status, or by the command's signal, raised again; 127 with a
 * line on stderr if the command cannot be started. When fd 3 is open, the guard closes it
 * once the command runs, or first writes there why it cannot (riposte's spawn saw only the
 * guard start: an exec that fails must still read as a command that cannot start). SIGINT, SIGTERM, SIGHUP and SIGQUIT do not
 * end the guard: riposte signals the group, so they reach the command, whose end is awaited.
 * The command gets every signal at its default action and an empty signal mask. */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static const int PASSED_ON[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define PASSED_ON_COUNT (sizeof PASSED_ON / sizeof PASSED_ON[0])

static pid_t parent;
/* Written by the child if exec fails (close-on-exec: nothing once the command runs). */
static int exec_failed = -1;

/* kill(0, ...) and getppid() are async-signal-safe: the group dies from here, with no window
 * between a flag being set and a wait that would never see it. */
static void on_parent_death(int sig) {
  (void)sig;
  if (getppid() != parent) kill(0, SIGKILL);
}

static void set_handler(int sig, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(sig, &action, NULL);
}

static void run_command(char **argv) {
  for (size_t i = 0; i < PASSED_ON_COUNT; i++) set_handler(PASSED_ON[i], SIG_DFL);
  set_handler(SIGUSR1, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  execvp(argv[0], argv);
  int error = errno;
  if (exec_failed >= 0 && write(exec_failed, &error, sizeof error) < 0) {
    /* riposte still learns of it from the exit status and stderr. */
  }
  errno = error;
  fprintf(stderr, "riposte: cannot run %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

/* Ends the guard as the command ended, without a core file of the guard's own. */
static int end_as(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  int sig = WTERMSIG(status);
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  set_handler(sig, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, sig);
  sigprocmask(SIG_UNBLOCK, &only, NULL);
  raise(sig);
  return 128 + sig;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: riposte-stream-guard PROGRAM [ARG...]\n");
    return 2;
  }
  parent = getppid();
  set_handler(SIGUSR1, on_parent_death);
  if (prctl(PR_SET_PDEATHSIG, SIGUSR1) != 0) {
    fprintf(stderr, "riposte: cannot watch for riposte's end: %s\n", strerror(errno));
    return 127;
  }
  /* riposte may have died before the request above. */
  if (getppid() != parent) kill(0, SIGKILL);
  for (size_t i = 0; i < PASSED_ON_COUNT; i++) set_handler(PASSED_ON[i], SIG_IGN);
  /* fd 3, riposte's report pipe, is the guard's alone: the command must not hold it open. */
  int report = fcntl(3, F_SETFD, FD_CLOEXEC) == 0 ? 3 : -1;
  int exec_pipe[2] = {-1, -1};
  if (report >= 0 && pipe2(exec_pipe, O_CLOEXEC) == 0) exec_failed = exec_pipe[1];
  pid_t child = fork();
  if (child < 0) {
    fprintf(stderr, "riposte: cannot run %s: %s\n", argv[1], strerror(errno));
    return 127;
  }
  if (child == 0) run_command(argv + 1);
  if (exec_failed >= 0) {
    close(exec_pipe[1]);
    int error = 0;
    ssize_t n;
    do n = read(exec_pipe[0], &error, sizeof error);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof error) dprintf(report, "%s\n", strerror(error));
    close(exec_pipe[0]);
  }
  if (report >= 0) close(report);
  for (;;) {
    int status;
    pid_t ended = waitpid(child, &status, 0);
    if (ended == child) return end_as(status);
    if (ended < 0 && errno != EINTR) return 127;
  }
}
