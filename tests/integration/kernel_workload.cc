// SPDX-License-Identifier: Apache-2.0
// Processes with exactly known syscall sequences for the kernel-side tests
// (seccomp-denied calls, --ret pairing and accounting, out-of-range syscall
// numbers). Modes that "wait" block in read(0) until the test releases
// them, so every syscall after that is made while sysstream is attached;
// the measured calls go through syscall(2) so libc adds nothing.
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void ExitGroup(int code) {
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

void WaitForGo() {
  char c;
  if (syscall(SYS_read, 0, &c, 1) != 1) ExitGroup(90);
}

// getppid → EPERM and getgid → EACCES, everything else allowed, for this
// thread and (with TSYNC) every other thread of the process.
void DenyGetppidAndGetgid() {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getgid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog = {
      static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) ExitGroup(93);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
              &prog) != 0) {
    ExitGroup(94);
  }
}

struct PingPong {
  int to_b[2];
  int to_a[2];
  long rounds;
};

// Thread B: read from A, a denied getgid, write back.
void* PongMain(void* arg) {
  PingPong* p = static_cast<PingPong*>(arg);
  char c;
  for (long i = 0; i < p->rounds; ++i) {
    syscall(SYS_read, p->to_b[0], &c, 1);
    syscall(SYS_getgid);
    syscall(SYS_write, p->to_a[1], &c, 1);
  }
  return nullptr;
}

void* GetppidsMain(void* arg) {
  const long n = *static_cast<long*>(arg);
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
  return nullptr;
}

char** g_argv;

// A non-main thread execs "kernel_workload after-exec", once the main
// thread is blocked in ppoll (so that the exec interrupts that call).
void* ExecMain(void*) {
  const std::string path =
      "/proc/self/task/" + std::to_string(getpid()) + "/syscall";
  const std::string ppoll = std::to_string(SYS_ppoll) + " ";
  for (int i = 0; i < 5000; ++i) {
    char buf[64] = {};
    int fd = open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
      (void)!read(fd, buf, sizeof(buf) - 1);
      close(fd);
    }
    if (std::string(buf).rfind(ppoll, 0) == 0) break;
    usleep(1000);
  }
  char* args[] = {g_argv[0], const_cast<char*>("after-exec"), nullptr};
  syscall(SYS_execve, "/proc/self/exe", args, environ);
  ExitGroup(95);
}

void OnSignal(int) {}

int Usage() {
  std::fprintf(
      stderr,
      "usage: kernel_workload seccomp N | seccomp-threads N | "
      "threads T M | forge | exec-thread | after-exec | sigreturn | spin\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  g_argv = argv;
  const std::string mode = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 0;

  if (mode == "seccomp") {
    // N times: getppid (denied: EPERM), gettid; then exit_group.
    DenyGetppidAndGetgid();
    WaitForGo();
    for (long i = 0; i < n; ++i) {
      syscall(SYS_getppid);
      syscall(SYS_gettid);
    }
    ExitGroup(0);
  }
  if (mode == "seccomp-threads") {
    // Threads A (main) and B alternate N rounds over two pipes; each round
    // A makes a denied getppid then writes to B; B reads, makes a denied
    // getgid, writes back; A reads. Then exit_group.
    DenyGetppidAndGetgid();
    PingPong p;
    p.rounds = n;
    if (pipe(p.to_b) != 0 || pipe(p.to_a) != 0) ExitGroup(91);
    pthread_t b;
    pthread_create(&b, nullptr, PongMain, &p);
    WaitForGo();
    char c = 'x';
    for (long i = 0; i < n; ++i) {
      syscall(SYS_getppid);
      syscall(SYS_write, p.to_b[1], &c, 1);
      syscall(SYS_read, p.to_a[0], &c, 1);
    }
    ExitGroup(0);
  }
  if (mode == "threads") {
    // T threads, each making M getppid calls; then exit_group.
    const long m = argc > 3 ? std::atol(argv[3]) : 0;
    WaitForGo();
    std::vector<pthread_t> threads(n);
    std::vector<long> counts(n, m);
    for (long i = 0; i < n; ++i) {
      pthread_create(&threads[i], nullptr, GetppidsMain, &counts[i]);
    }
    for (pthread_t t : threads) pthread_join(t, nullptr);
    ExitGroup(0);
  }
  if (mode == "forge") {
    // Numbers with bit 31 set from a 64-bit process (-ENOSYS), a getppid,
    // then exit_group.
    WaitForGo();
    syscall(0x80000027L);
    syscall(-1L);
    syscall(SYS_getppid);
    ExitGroup(0);
  }
  if (mode == "exec-thread") {
    // A second thread execs; the main thread blocks in ppoll meanwhile
    // (the exec ends it there).
    WaitForGo();
    pthread_t t;
    pthread_create(&t, nullptr, ExecMain, nullptr);
    syscall(SYS_ppoll, nullptr, 0, nullptr, nullptr, 0);
    ExitGroup(96);
  }
  if (mode == "spin") {
    // getppid until killed, from the start (no wait).
    for (;;) syscall(SYS_getppid);
  }
  if (mode == "after-exec") {
    syscall(SYS_getppid);
    ExitGroup(0);
  }
  if (mode == "sigreturn") {
    // A handled SIGUSR1 (rt_sigreturn after the handler), then getppid.
    struct sigaction sa = {};
    sa.sa_handler = OnSignal;
    sigaction(SIGUSR1, &sa, nullptr);
    WaitForGo();
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    syscall(SYS_getppid);
    ExitGroup(0);
  }
  return Usage();
}
