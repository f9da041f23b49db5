// SPDX-License-Identifier: Apache-2.0
// The static guest program of the kernel-matrix test (tests/vm): inside a
// qemu guest booted from an initramfs it is both the traced workload and the
// scenario driver.
//
// Workload modes (all calls through syscall(2), so libc adds nothing):
//   seq N | nowait-seq N   N getppid, openat+close of /dev/null, exit_group
//                          ("seq" first blocks in read(0) until released)
//   burst N                read(0), then N getppid (0: until killed), exit_group
//   forkexec               read(0), fork; the child execs "<self> child"
//   child                  3 getppid, exit_group
//   seccomp N              a seccomp filter denies getppid (EPERM); N getppid,
//                          openat+close of /dev/null, exit_group
//   compat                 x86_64: int $0x80 getpid (an ia32 call from a
//                          64-bit process), int $0x80 with 0x40000014 (an
//                          ia32 number out of range), syscall(0x80000027)
//                          (a forged bit 31), exit_group
// Driver mode:
//   scenario NAME SYSSTREAM   run one scenario (seq, follow, gap, sigterm, ret,
//                             seccomp, compat, pod, podns;
//                             nores: seq without CAP_SYS_RESOURCE, not run
//                             by default)
//                             against the sysstream binary and print one line
//                             "SYSSTREAM-RESULT name=NAME ok=0|1 detail=..."
//   debug SYSSTREAM [nores]   run sysstream once with SYSSTREAM_DEBUG=1 and
//                             print its stderr (libbpf's log) between markers
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bpf/sysstream.h"

namespace {

// The guest's syscall numbers, from its own <sys/syscall.h> (x86_64 or
// arm64). arm64 has no fork or vfork (glibc's fork() is clone): there they
// stand for clone, so the checks below stay the same.
constexpr uint32_t kClose = SYS_close;
constexpr uint32_t kClone = SYS_clone;
#ifdef SYS_fork
constexpr uint32_t kFork = SYS_fork;
constexpr uint32_t kVfork = SYS_vfork;
#else
constexpr uint32_t kFork = SYS_clone;
constexpr uint32_t kVfork = SYS_clone;
#endif
constexpr uint32_t kExecve = SYS_execve;
constexpr uint32_t kGetppid = SYS_getppid;
constexpr uint32_t kExitGroup = SYS_exit_group;
constexpr uint32_t kOpenat = SYS_openat;
constexpr uint32_t kClone3 = SYS_clone3;
constexpr uint32_t kGapPid = SYSSTREAM_GAP_PID;

// ---------------------------------------------------------------- workload

[[noreturn]] void ExitGroup(int code) {
  syscall(SYS_exit_group, code);
  __builtin_unreachable();
}

void WaitForGo() {
  char c;
  if (syscall(SYS_read, 0, &c, 1) != 1) ExitGroup(90);
}

void Getppids(long n) {
  for (long i = 0; i < n; ++i) syscall(SYS_getppid);
}

// ------------------------------------------------------------------ driver

double Now() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

void SleepMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, nullptr);
}

std::string ReadFile(const std::string& path) {
  std::string out;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

struct Child {
  pid_t pid = -1;
  int in = -1;   // write end of the child's stdin, if piped
  int err = -1;  // read end of the child's stderr, if piped
  std::string err_text;
  int status = -1;  // exit code, 128+sig, or -1 while running / timed out
};

struct SpawnOptions {
  bool pipe_in = false;
  bool pipe_err = false;
  bool out_to_null = false;
  bool debug_env = false;
  bool drop_sys_resource = false;  // out of the bounding set before exec
  // Run in a cgroup of its own and a private cgroup namespace rooted there,
  // as Docker's default --cgroupns=private on a cgroup v2 host does.
  bool private_cgroupns = false;
};

Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  int in[2] = {-1, -1}, err[2] = {-1, -1};
  if (o.pipe_in && pipe2(in, O_CLOEXEC) != 0) std::abort();
  if (o.pipe_err && pipe2(err, O_CLOEXEC) != 0) std::abort();
  Child c;
  c.pid = fork();
  if (c.pid == 0) {
    if (o.pipe_in) dup2(in[0], 0);
    if (o.pipe_err) dup2(err[1], 2);
    if (o.out_to_null) {
      int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
    }
    if (o.debug_env) setenv("SYSSTREAM_DEBUG", "1", 1);
    // CAP_SYS_RESOURCE is 24; root regains only what the bounding set holds.
    if (o.drop_sys_resource && prctl(PR_CAPBSET_DROP, 24, 0, 0, 0) != 0)
      _exit(126);
    if (o.private_cgroupns) {
      const char* own = "/sys/fs/cgroup/sysstream-container";
      int fd = -1;
      if ((mkdir(own, 0755) != 0 && errno != EEXIST) ||
          (fd = open("/sys/fs/cgroup/sysstream-container/cgroup.procs",
                     O_WRONLY)) < 0 ||
          write(fd, "0\n", 2) != 2 || unshare(CLONE_NEWCGROUP) != 0) {
        _exit(125);
      }
      close(fd);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  if (o.pipe_in) {
    close(in[0]);
    c.in = in[1];
  }
  if (o.pipe_err) {
    close(err[1]);
    c.err = err[0];
  }
  return c;
}

// Reads the child's stderr (if piped) until EOF or the deadline.
void DrainErr(Child& c, double deadline) {
  if (c.err < 0) return;
  char buf[4096];
  for (;;) {
    int left = static_cast<int>((deadline - Now()) * 1000);
    if (left <= 0) return;
    struct pollfd p = {c.err, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) return;
    ssize_t n = read(c.err, buf, sizeof buf);
    if (n <= 0) {
      close(c.err);
      c.err = -1;
      return;
    }
    c.err_text.append(buf, n);
  }
}

// Reads stderr until a line starting with `prefix` arrived (true), or EOF or
// the deadline (false).
bool WaitForLine(Child& c, const std::string& prefix, double deadline) {
  char buf[4096];
  for (;;) {
    size_t pos = 0;
    while (pos < c.err_text.size()) {
      size_t nl = c.err_text.find('\n', pos);
      if (nl == std::string::npos) break;
      if (c.err_text.compare(pos, prefix.size(), prefix) == 0) return true;
      pos = nl + 1;
    }
    int left = static_cast<int>((deadline - Now()) * 1000);
    if (left <= 0 || c.err < 0) return false;
    struct pollfd p = {c.err, POLLIN, 0};
    if (poll(&p, 1, left) <= 0) return false;
    ssize_t n = read(c.err, buf, sizeof buf);
    if (n <= 0) {
      close(c.err);
      c.err = -1;
      return false;
    }
    c.err_text.append(buf, n);
  }
}

// Waits for the child to exit (reading its stderr meanwhile); kills it at the
// deadline. Returns false on timeout.
bool Finish(Child& c, double deadline) {
  for (;;) {
    DrainErr(c, std::min(deadline, Now() + 0.02));
    int st;
    pid_t r = waitpid(c.pid, &st, WNOHANG);
    if (r == c.pid) {
      c.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      DrainErr(c, Now() + 2);
      return true;
    }
    if (Now() >= deadline) {
      kill(c.pid, SIGKILL);
      waitpid(c.pid, &st, 0);
      c.status = -1;
      return false;
    }
    if (c.err < 0) SleepMs(10);
  }
}

bool WaitBlockedInRead(pid_t pid, double deadline) {
  const std::string path = "/proc/" + std::to_string(pid) + "/syscall";
  while (Now() < deadline) {
    if (ReadFile(path).rfind(std::to_string(SYS_read) + " ", 0) == 0) return true;
    SleepMs(5);
  }
  return false;
}

void Go(Child& w) {
  if (write(w.in, "g", 1) != 1) std::perror("write");
  close(w.in);
  w.in = -1;
}

struct Log {
  bool well_formed = true;  // every record lowercase hex + tab, ends in tab
  std::string problem;
  std::vector<uint64_t> records;
  size_t bytes = 0;
};

Log ParseLog(const std::string& path) {
  Log log;
  std::string s = ReadFile(path);
  log.bytes = s.size();
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (ch == '\t') {
      if (i == start || i - start > 16) {
        log.well_formed = false;
        log.problem = "bad record length at byte " + std::to_string(start);
        return log;
      }
      log.records.push_back(std::strtoull(s.substr(start, i - start).c_str(),
                                          nullptr, 16));
      start = i + 1;
    } else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
      log.well_formed = false;
      log.problem = "non-hex byte at " + std::to_string(i);
      return log;
    }
  }
  if (start != s.size()) {
    log.well_formed = false;
    log.problem = "does not end with a tab";
  }
  return log;
}

uint32_t Pid(uint64_t r) { return static_cast<uint32_t>(r >> 32); }
uint32_t Nr(uint64_t r) { return static_cast<uint32_t>(r); }

std::string Join(const std::vector<uint32_t>& v, size_t from = 0) {
  std::string s;
  for (size_t i = from; i < v.size(); ++i) {
    if (!s.empty()) s += ',';
    s += std::to_string(v[i]);
  }
  return s;
}

std::string OneLine(std::string s) {
  for (char& ch : s) {
    if (ch == '\n' || ch == '\r') ch = '|';
  }
  if (s.size() > 600) s = s.substr(0, 600) + "...";
  return s;
}

struct Result {
  bool ok = false;
  std::string detail;
};

Result Fail(const std::string& why, const Child& t) {
  return {false, why + "; sysstream exit=" + std::to_string(t.status) +
                     " stderr: " + OneLine(t.err_text)};
}

std::string g_self;

// (5) --ret: every return paired with its entry, which needs the syscall
// number the kernel side reads from pt_regs at sys_exit (orig_ax on x86_64,
// syscallno on arm64, CO-RE-relocated). A wrong number leaves the calls
// unpaired: no "ret" on their lines.
Result ScenarioRet(const std::string& sysstream) {
  const std::string path = "/tmp/ret.jsonl";
  unlink(path.c_str());
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({sysstream, "-f", path, "--format", "jsonl", "--ret", "--",
                   g_self, "nowait-seq", "5"},
                  o);
  if (!Finish(t, Now() + 60)) return Fail("timed out", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  const std::string text = ReadFile(path);
  const std::string getppid = "\"nr\":" + std::to_string(kGetppid) + ",";
  const std::string close_ok = "\"nr\":" + std::to_string(kClose) + ",";
  int getppids = 0, returned = 0, close_returned = 0, lines = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lines;
    if (line.find(getppid) != std::string::npos) {
      ++getppids;
      if (line.find("\"ret\":") != std::string::npos &&
          line.find("\"ret\":-") == std::string::npos)
        ++returned;
    }
    if (line.find(close_ok) != std::string::npos &&
        line.find("\"ret\":0") != std::string::npos)
      ++close_returned;
  }
  std::string detail = "lines=" + std::to_string(lines) +
                       " getppid=" + std::to_string(getppids) +
                       " getppid_returned=" + std::to_string(returned) +
                       " close_ret0=" + std::to_string(close_returned);
  if (getppids != 5 || returned != 5 || close_returned != 1)
    return Fail("returns not paired: " + detail + " log: " + OneLine(text), t);
  return {true, detail};
}

// Seccomp-denied calls (issue 11): the kernel skips sys_enter for them;
// sysstream records them at sys_exit, with --ret their -1 EPERM.
Result ScenarioSeccomp(const std::string& sysstream) {
  const std::string path = "/tmp/seccomp.jsonl";
  unlink(path.c_str());
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({sysstream, "-f", path, "--format", "jsonl", "--ret", "--",
                   g_self, "seccomp", "5"},
                  o);
  if (!Finish(t, Now() + 60)) return Fail("timed out", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  const std::string text = ReadFile(path);
  const std::string getppid = "\"nr\":" + std::to_string(kGetppid) + ",";
  int getppids = 0, denied = 0, lines = 0;
  std::string order;  // g: getppid, o: openat, e: exit_group
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lines;
    if (line.find(getppid) != std::string::npos) {
      ++getppids;
      order += 'g';
      if (line.find("\"ret\":-1,\"errno\":\"EPERM\"") != std::string::npos)
        ++denied;
    } else if (line.find("\"nr\":" + std::to_string(kOpenat) + ",") !=
               std::string::npos) {
      order += 'o';
    } else if (line.find("\"nr\":" + std::to_string(kExitGroup) + ",") !=
               std::string::npos) {
      order += 'e';
    }
  }
  std::string detail = "lines=" + std::to_string(lines) +
                       " getppid=" + std::to_string(getppids) +
                       " eperm=" + std::to_string(denied) + " order=" + order;
  if (getppids != 5 || denied != 5 || order != "gggggoe")
    return Fail("denied calls not recorded: " + detail + " log: " + OneLine(text),
                t);
  return {true, detail};
}

// ia32 calls marked, out-of-range numbers never taken for them (issue 11
// §2.8). The ia32 path is entered with int $0x80 from this 64-bit program:
// the Debian guest kernels have IA32 emulation on (this project's build
// machine does not: its tests cover the marking in user space only).
Result ScenarioCompat(const std::string& sysstream) {
#if !defined(__x86_64__)
  (void)sysstream;
  return {true, "n/a (not x86_64)"};
#else
  const std::string path = "/tmp/compat.log";
  unlink(path.c_str());
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({sysstream, "-f", path, "--", g_self, "compat"}, o);
  if (!Finish(t, Now() + 60)) return Fail("timed out", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  Log log = ParseLog(path);
  if (!log.well_formed) return Fail("malformed log: " + log.problem, t);
  std::vector<uint32_t> tail;
  for (uint64_t r : log.records) tail.push_back(static_cast<uint32_t>(r));
  if (tail.size() > 4) tail.erase(tail.begin(), tail.end() - 4);
  char buf[128];
  std::string got;
  for (uint32_t nr : tail) {
    std::snprintf(buf, sizeof buf, "%s%x", got.empty() ? "" : ",", nr);
    got += buf;
  }
  const std::string want = "80000014,c0000014,c0000027,e7";
  std::string detail = "records=" + std::to_string(log.records.size()) +
                       " last4=" + got;
  if (got != want) return Fail("want last4=" + want + ": " + detail, t);
  return {true, detail};
#endif
}

// (1) `-- COMMAND`: the exact sequence, from its execve.
Result ScenarioSeq(const std::string& sysstream, bool no_sys_resource) {
  const std::string path = "/tmp/seq.log";
  unlink(path.c_str());
  SpawnOptions o;
  o.pipe_err = true;
  o.drop_sys_resource = no_sys_resource;
  Child t = Spawn({sysstream, "-f", path, "--", g_self, "nowait-seq", "5"}, o);
  if (!Finish(t, Now() + 60)) return Fail("timed out", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  Log log = ParseLog(path);
  if (!log.well_formed) return Fail("malformed log: " + log.problem, t);
  if (log.records.size() < 9)
    return Fail(std::to_string(log.records.size()) + " records", t);
  const uint32_t pid = Pid(log.records[0]);
  std::vector<uint32_t> nrs;
  for (uint64_t r : log.records) {
    if (Pid(r) != pid)
      return Fail("record of another pid " + std::to_string(Pid(r)), t);
    nrs.push_back(Nr(r));
  }
  const std::vector<uint32_t> want = {kGetppid, kGetppid, kGetppid, kGetppid,
                                      kGetppid, kOpenat,  kClose,   kExitGroup};
  std::vector<uint32_t> tail(nrs.end() - 8, nrs.end());
  std::string detail = "records=" + std::to_string(nrs.size()) +
                       " pid=" + std::to_string(pid) +
                       " first=" + std::to_string(nrs[0]) +
                       " last8=" + Join(tail);
  if (nrs[0] != kExecve) return Fail("first record is not execve: " + detail, t);
  if (tail != want) return Fail("wrong tail: " + detail, t);
  return {true, detail};
}

// (2) --follow across fork and exec.
Result ScenarioFollow(const std::string& sysstream) {
  const std::string path = "/tmp/follow.log";
  unlink(path.c_str());
  SpawnOptions wo;
  wo.pipe_in = true;
  Child w = Spawn({g_self, "forkexec"}, wo);
  if (!WaitBlockedInRead(w.pid, Now() + 30)) {
    kill(w.pid, SIGKILL);
    return {false, "workload never blocked in read"};
  }
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({sysstream, "--follow", "-f", path, std::to_string(w.pid)}, o);
  if (!WaitForLine(t, "sysstream: tracing", Now() + 60)) {
    kill(w.pid, SIGKILL);
    Finish(t, Now() + 10);
    Finish(w, Now() + 5);
    return Fail("never started tracing", t);
  }
  Go(w);
  Finish(w, Now() + 30);
  if (!Finish(t, Now() + 30)) return Fail("did not stop after all exited", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  if (w.status != 0)
    return Fail("workload exit " + std::to_string(w.status), t);
  if (t.err_text.find("all targets exited") == std::string::npos)
    return Fail("summary lacks 'all targets exited'", t);
  Log log = ParseLog(path);
  if (!log.well_formed) return Fail("malformed log: " + log.problem, t);
  std::map<uint32_t, std::vector<uint32_t>> by_pid;
  for (uint64_t r : log.records) by_pid[Pid(r)].push_back(Nr(r));
  const std::vector<uint32_t> parent = by_pid[w.pid];
  by_pid.erase(w.pid);
  std::string detail = "parent=" + std::to_string(w.pid) + " parent_calls=" +
                       Join(parent);
  if (parent.empty() ||
      !(parent[0] == kClone || parent[0] == kClone3 || parent[0] == kFork ||
        parent[0] == kVfork) ||
      parent.back() != kExitGroup) {
    return Fail("parent records wrong: " + detail, t);
  }
  if (by_pid.size() != 1)
    return Fail(std::to_string(by_pid.size()) + " other pids: " + detail, t);
  const uint32_t cpid = by_pid.begin()->first;
  const std::vector<uint32_t>& child = by_pid.begin()->second;
  size_t exec = 0;
  while (exec < child.size() && child[exec] != kExecve) ++exec;
  long getppids = 0;
  for (size_t i = exec; i < child.size(); ++i) getppids += child[i] == kGetppid;
  detail = "parent=" + std::to_string(w.pid) + " child=" + std::to_string(cpid) +
           " child_records=" + std::to_string(child.size()) +
           " execve_at=" + std::to_string(exec) +
           " getppid_after_exec=" + std::to_string(getppids) +
           " child_last=" + (child.empty() ? "none" : std::to_string(child.back()));
  if (exec == child.size()) return Fail("no execve in child: " + detail, t);
  if (exec > 3) return Fail("execve too late: " + detail, t);
  if (getppids != 3) return Fail("wrong getppid count: " + detail, t);
  if (child.back() != kExitGroup) return Fail("child not ended: " + detail, t);
  return {true, detail};
}

// Parses "<N> lost," out of the summary; -1 if absent.
long long SummaryNumber(const std::string& text, const std::string& after,
                        const std::string& before) {
  size_t end = text.find(before);
  while (end != std::string::npos) {
    size_t start = end;
    while (start > 0 && text[start - 1] >= '0' && text[start - 1] <= '9')
      --start;
    if (start < end && (after.empty() || (start >= after.size() &&
                                          text.compare(start - after.size(),
                                                       after.size(), after) == 0)))
      return std::atoll(text.substr(start, end - start).c_str());
    end = text.find(before, end + 1);
  }
  return -1;
}

// CPU time (user + system, clock ticks) `pid` has used; -1 once it exited.
long CpuTicks(pid_t pid) {
  const std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  char state = 0;
  unsigned long utime = 0, stime = 0;
  // After "(comm) ": state, then fields 4..13 skipped, utime, stime.
  if (std::sscanf(stat.c_str() + paren + 1,
                  " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                  &state, &utime, &stime) != 3 ||
      state == 'Z') {
    return -1;
  }
  return static_cast<long>(utime + stime);
}

// Skipped-runs markers in a log: up to how many calls may be missing.
uint64_t MaybeMissing(const Log& log) {
  uint64_t n = 0;
  for (uint64_t r : log.records) {
    if (Pid(r) == SYSSTREAM_SKIP_PID) n += Nr(r);
  }
  return n;
}

// (3) a 4 KiB ring forced to overflow: records + gap counts = calls. The
// tracer is stopped (SIGSTOP) until the burst has run two clock ticks, so
// the ring overflows whatever the emulated machine's speed; -v to
// /dev/null then keeps the consumer slow.
Result ScenarioGap(const std::string& sysstream) {
  constexpr long kCalls = 200000;
  const std::string path = "/tmp/gap.log";
  unlink(path.c_str());
  SpawnOptions wo;
  wo.pipe_in = true;
  Child w = Spawn({g_self, "burst", std::to_string(kCalls)}, wo);
  if (!WaitBlockedInRead(w.pid, Now() + 30)) {
    kill(w.pid, SIGKILL);
    return {false, "workload never blocked in read"};
  }
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = true;
  Child t = Spawn({sysstream, "-v", "--ring-size", "4096", "-f", path,
                   std::to_string(w.pid)},
                  o);
  if (!WaitForLine(t, "sysstream: tracing", Now() + 60)) {
    kill(w.pid, SIGKILL);
    Finish(t, Now() + 10);
    Finish(w, Now() + 5);
    return Fail("never started tracing", t);
  }
  const double start = Now();
  kill(t.pid, SIGSTOP);
  Go(w);
  for (const double until = Now() + 60; Now() < until;) {
    const long ticks = CpuTicks(w.pid);
    if (ticks < 0 || ticks >= 2) break;
    SleepMs(1);
  }
  kill(t.pid, SIGCONT);
  Finish(w, Now() + 90);
  if (!Finish(t, Now() + 90)) return Fail("did not stop after all exited", t);
  const double secs = Now() - start;
  if (t.status != 0) return Fail("nonzero exit", t);
  Log log = ParseLog(path);
  if (!log.well_formed) return Fail("malformed log: " + log.problem, t);
  uint64_t records = 0, lost = 0, markers = 0, others = 0;
  for (uint64_t r : log.records) {
    if (Pid(r) == kGapPid) {
      lost += Nr(r);
      ++markers;
    } else if (Pid(r) == static_cast<uint32_t>(w.pid)) {
      ++records;
    } else if (Pid(r) != SYSSTREAM_SKIP_PID) {
      ++others;
    }
  }
  const long long summary_lost = SummaryNumber(t.err_text, ", ", " lost,");
  char detail[512];
  std::snprintf(detail, sizeof detail,
                "calls=%ld+1 records=%" PRIu64 " gap_markers=%" PRIu64
                " lost=%" PRIu64 " sum=%" PRIu64 " summary_lost=%lld "
                "foreign=%" PRIu64 " secs=%.1f rings=%lld",
                kCalls, records, markers, lost, records + lost, summary_lost,
                others, secs, SummaryNumber(t.err_text, " through ", " ring"));
  if (others != 0) return Fail(std::string("foreign records: ") + detail, t);
  if (lost == 0) return Fail(std::string("ring never overflowed: ") + detail, t);
  if (summary_lost != static_cast<long long>(lost))
    return Fail(std::string("summary disagrees: ") + detail, t);
  // Exact, or short by no more than the skipped-runs markers account for
  // (a kernel that preempts BPF programs: 7.x).
  const uint64_t maybe = MaybeMissing(log);
  const uint64_t made = kCalls + 1;
  if (records + lost == made) return {true, detail};
  if (records + lost < made && records + lost + maybe >= made) {
    return {true, std::string(detail) + " short=" +
                      std::to_string(made - records - lost) +
                      " maybe_missing=" + std::to_string(maybe)};
  }
  return Fail(std::string("calls not accounted for: ") + detail, t);
}

// (3b) A traced getppid loop and a traced SCHED_FIFO task on one CPU, the
// task waking every 50 us: on kernels that preempt BPF programs (7.x) the
// task's calls hit the tracepoint while the loop's run of the program is
// preempted, and the kernel skips those runs. Every call is accounted:
// records + gap counts <= calls made <= that + the skipped-runs markers
// ("up to N calls may be missing"), and the summary line says so.
Result ScenarioPreempt(const std::string& sysstream) {
  const std::string path = "/tmp/preempt.log";
  constexpr long kSpins = 300000, kRounds = 4000;
  unlink(path.c_str());
  SpawnOptions wo;
  wo.pipe_in = true;
  Child spin = Spawn({g_self, "spin", std::to_string(kSpins)}, wo);
  Child fifo = Spawn({g_self, "fifo", std::to_string(kRounds)}, wo);
  auto stop_all = [&] {
    for (Child* c : {&spin, &fifo}) {
      kill(c->pid, SIGKILL);
      Finish(*c, Now() + 5);
    }
  };
  if (!WaitBlockedInRead(spin.pid, Now() + 30) ||
      !WaitBlockedInRead(fifo.pid, Now() + 30)) {
    stop_all();
    return {false, "workload never blocked in read"};
  }
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({sysstream, "-f", path,
                   std::to_string(spin.pid) + "," + std::to_string(fifo.pid)},
                  o);
  if (!WaitForLine(t, "sysstream: tracing", Now() + 60)) {
    stop_all();
    Finish(t, Now() + 10);
    return Fail("never started tracing", t);
  }
  Go(spin);
  Go(fifo);
  Finish(spin, Now() + 120);
  Finish(fifo, Now() + 120);
  if (!Finish(t, Now() + 90)) return Fail("did not stop after all exited", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  if (spin.status != 0 || fifo.status != 0) {
    return Fail("workload failed: spin " + std::to_string(spin.status) +
                    " fifo " + std::to_string(fifo.status),
                t);
  }
  Log log = ParseLog(path);
  if (!log.well_formed) return Fail("malformed log: " + log.problem, t);
  uint64_t records = 0, lost = 0;
  for (uint64_t r : log.records) {
    if (Pid(r) == kGapPid) {
      lost += Nr(r);
    } else if (Pid(r) == static_cast<uint32_t>(spin.pid) ||
               Pid(r) == static_cast<uint32_t>(fifo.pid)) {
      ++records;
    }
  }
  const uint64_t maybe = MaybeMissing(log);
  // spin: its getppid and exit_group; fifo: 3 calls a round and exit_group.
  const uint64_t made = (kSpins + 1) + (3 * kRounds + 1);
  const long long skipped =
      SummaryNumber(t.err_text, "sys_enter ", " (up to ");
  char detail[400];
  std::snprintf(detail, sizeof detail,
                "made=%" PRIu64 " records=%" PRIu64 " lost=%" PRIu64
                " maybe_missing=%" PRIu64 " short=%" PRIu64
                " skipped_sys_enter=%lld",
                made, records, lost, maybe,
                made > records + lost ? made - records - lost : 0, skipped);
  if (records + lost > made) return Fail(std::string("excess: ") + detail, t);
  if (records + lost + maybe < made)
    return Fail(std::string("calls not accounted for: ") + detail, t);
  if (maybe > 0 && skipped < 0)
    return Fail(std::string("markers but no summary line: ") + detail, t);
  return {true, detail};
}

// (4) SIGTERM in the middle of a burst: exit 0, a well-formed log.
Result ScenarioSigterm(const std::string& sysstream) {
  const std::string path = "/tmp/sigterm.log";
  unlink(path.c_str());
  SpawnOptions wo;
  wo.pipe_in = true;
  Child w = Spawn({g_self, "burst", "0"}, wo);
  if (!WaitBlockedInRead(w.pid, Now() + 30)) {
    kill(w.pid, SIGKILL);
    return {false, "workload never blocked in read"};
  }
  SpawnOptions o;
  o.pipe_err = true;
  Child t = Spawn({sysstream, "-f", path, std::to_string(w.pid)}, o);
  if (!WaitForLine(t, "sysstream: tracing", Now() + 60)) {
    kill(w.pid, SIGKILL);
    Finish(t, Now() + 10);
    Finish(w, Now() + 5);
    return Fail("never started tracing", t);
  }
  Go(w);
  SleepMs(1000);
  kill(t.pid, SIGTERM);
  const bool stopped = Finish(t, Now() + 30);
  kill(w.pid, SIGKILL);
  Finish(w, Now() + 10);
  if (!stopped) return Fail("did not stop on SIGTERM", t);
  if (t.status != 0) return Fail("nonzero exit", t);
  if (t.err_text.find("stopped by SIGTERM") == std::string::npos)
    return Fail("summary lacks 'stopped by SIGTERM'", t);
  Log log = ParseLog(path);
  uint64_t records = 0, markers = 0;
  for (uint64_t r : log.records) {
    if (Pid(r) == kGapPid) ++markers;
    else if (Pid(r) == static_cast<uint32_t>(w.pid)) ++records;
  }
  const long long summary = SummaryNumber(t.err_text, "sysstream: ", " events written");
  char detail[512];
  std::snprintf(detail, sizeof detail,
                "bytes=%zu records=%" PRIu64 " gap_markers=%" PRIu64
                " summary_events=%lld well_formed=%d",
                log.bytes, records, markers, summary, log.well_formed ? 1 : 0);
  if (!log.well_formed)
    return Fail(std::string("malformed log (") + log.problem + "): " + detail, t);
  if (records < 1000) return Fail(std::string("too few records: ") + detail, t);
  if (records + markers != log.records.size())
    return Fail(std::string("foreign records: ") + detail, t);
  if (summary != static_cast<long long>(records))
    return Fail(std::string("summary disagrees with the log: ") + detail, t);
  return {true, detail};
}

// Writes `text` to `path`, making its parent directories; false on error.
bool WriteFileMakingDirs(const std::string& path, const std::string& text) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return false;
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const bool ok = write(fd, text.data(), text.size()) ==
                  static_cast<ssize_t>(text.size());
  return close(fd) == 0 && ok;
}

// The syscalls of `pid` in `log`, in order.
std::vector<uint32_t> CallsOf(const Log& log, pid_t pid) {
  std::vector<uint32_t> nrs;
  for (uint64_t r : log.records) {
    if (Pid(r) == static_cast<uint32_t>(pid)) nrs.push_back(Nr(r));
  }
  return nrs;
}

// (6) A Kubernetes pod on a pure cgroup v2 node (the guest mounts only
// cgroup2): `--pod default/web --wait` starts before the pod exists and
// writes nothing; containerd's task state (config.json with the CRI
// annotations, init.pid) then appears with the container's process in its
// own cgroup; sysstream traces that cgroup in the kernel, including a
// process that joins it later (kubectl exec), never one outside it, the
// container again after it restarts (a new cgroup of the same name, found
// after the capabilities are dropped), and stops by itself when the
// cgroup is removed. "podns": the same with
// sysstream in a private cgroup namespace (Docker's default on cgroup v2),
// where it must join the host's to see the pod's cgroups.
Result ScenarioPod(const std::string& sysstream, bool private_cgroupns) {
  const std::string path = "/tmp/pod.log";
  const std::string pod_cg = "/sys/fs/cgroup/kubepods/podvm";
  const std::string ctr_cg = pod_cg + "/ctr";
  const std::string task =
      "/run/containerd/io.containerd.runtime.v2.task/k8s.io/0123456789ab";
  unlink(path.c_str());
  SpawnOptions wo;
  wo.pipe_in = true;
  Child first = Spawn({g_self, "seq", "4"}, wo);
  Child later = Spawn({g_self, "seq", "3"}, wo);
  Child outside = Spawn({g_self, "seq", "2"}, wo);
  auto cleanup = [&] {
    for (Child* c : {&first, &later, &outside}) {
      kill(c->pid, SIGKILL);
      Finish(*c, Now() + 5);
    }
    rmdir(ctr_cg.c_str());
  };
  for (Child* c : {&first, &later, &outside}) {
    if (!WaitBlockedInRead(c->pid, Now() + 30)) {
      cleanup();
      return {false, "workload never blocked in read"};
    }
  }
  SpawnOptions o;
  o.pipe_err = true;
  o.private_cgroupns = private_cgroupns;
  Child t = Spawn({sysstream, "--wait", "--pod", "default/web", "-f", path}, o);
  if (!WaitForLine(t, "sysstream: waiting (--wait)", Now() + 60)) {
    cleanup();
    Finish(t, Now() + 10);
    return Fail("did not wait for the pod", t);
  }
  if (private_cgroupns) {
    // Spawn gave it a cgroup and a cgroup namespace of its own (or exited
    // 125); before resolving anything it must have joined the host's.
    struct stat mine, its;
    const std::string ns = "/proc/" + std::to_string(t.pid) + "/ns/cgroup";
    const std::string own =
        ReadFile("/proc/" + std::to_string(t.pid) + "/cgroup");
    const char* problem = nullptr;
    if (own.find("/sysstream-container") == std::string::npos) {
      problem = "sysstream is not in the container's own cgroup";
    } else if (stat("/proc/self/ns/cgroup", &mine) != 0 ||
               stat(ns.c_str(), &its) != 0 || mine.st_ino != its.st_ino) {
      problem = "sysstream did not join the host's cgroup namespace";
    }
    if (problem != nullptr) {
      cleanup();
      kill(t.pid, SIGKILL);
      Finish(t, Now() + 10);
      return Fail(problem, t);
    }
  }
  SleepMs(1500);  // at least one more look while nothing is there
  if (access(path.c_str(), F_OK) == 0) {
    cleanup();
    kill(t.pid, SIGKILL);
    Finish(t, Now() + 10);
    return Fail("a log before the pod existed", t);
  }
  const std::string annotations =
      "{\"ociVersion\":\"1.0.2\",\"annotations\":{"
      "\"io.kubernetes.cri.container-type\":\"container\","
      "\"io.kubernetes.cri.container-name\":\"app\","
      "\"io.kubernetes.cri.sandbox-name\":\"web\","
      "\"io.kubernetes.cri.sandbox-namespace\":\"default\"}}";
  if (mkdir("/sys/fs/cgroup/kubepods", 0755) != 0 && errno != EEXIST) {
    cleanup();
    kill(t.pid, SIGKILL);
    Finish(t, Now() + 10);
    return Fail(std::string("mkdir kubepods: ") + std::strerror(errno), t);
  }
  bool ok = (mkdir(pod_cg.c_str(), 0755) == 0 || errno == EEXIST) &&
            (mkdir(ctr_cg.c_str(), 0755) == 0 || errno == EEXIST) &&
            WriteFileMakingDirs(ctr_cg + "/cgroup.procs",
                                std::to_string(first.pid) + "\n") &&
            WriteFileMakingDirs(task + "/config.json", annotations) &&
            WriteFileMakingDirs(task + "/init.pid",
                                std::to_string(first.pid));
  if (!ok) {
    const std::string why = std::strerror(errno);
    cleanup();
    kill(t.pid, SIGKILL);
    Finish(t, Now() + 10);
    return Fail("setting up the pod: " + why, t);
  }
  if (!WaitForLine(t, "sysstream: tracing 1 cgroup", Now() + 30)) {
    cleanup();
    kill(t.pid, SIGKILL);
    Finish(t, Now() + 10);
    return Fail("did not trace the pod once it appeared", t);
  }
  // Joins the container after tracing started, as kubectl exec does.
  WriteFileMakingDirs(ctr_cg + "/cgroup.procs", std::to_string(later.pid) + "\n");
  for (Child* c : {&first, &later, &outside}) Go(*c);
  for (Child* c : {&first, &later, &outside}) Finish(*c, Now() + 30);
  // The container restarts: a new cgroup of the same name, a new init
  // process. sysstream is stopped meanwhile, so that its once-a-second
  // check cannot fall between the rmdir and the mkdir.
  kill(t.pid, SIGSTOP);
  Child again = Spawn({g_self, "seq", "2"}, wo);
  const bool restarted =
      WaitBlockedInRead(again.pid, Now() + 30) && rmdir(ctr_cg.c_str()) == 0 &&
      mkdir(ctr_cg.c_str(), 0755) == 0 &&
      WriteFileMakingDirs(ctr_cg + "/cgroup.procs",
                          std::to_string(again.pid) + "\n") &&
      WriteFileMakingDirs(task + "/init.pid", std::to_string(again.pid));
  kill(t.pid, SIGCONT);
  if (!restarted || !WaitForLine(t, "sysstream: also tracing new cgroup", Now() + 30)) {
    kill(again.pid, SIGKILL);
    Finish(again, Now() + 5);
    kill(t.pid, SIGKILL);
    Finish(t, Now() + 10);
    return Fail(restarted ? "the restarted container was not traced again"
                          : "could not restart the container",
                t);
  }
  Go(again);
  Finish(again, Now() + 30);
  // The pod goes: its task state and its cgroups are removed.
  unlink((task + "/config.json").c_str());
  unlink((task + "/init.pid").c_str());
  const bool removed = rmdir(ctr_cg.c_str()) == 0 && rmdir(pod_cg.c_str()) == 0;
  if (!Finish(t, Now() + 30)) return Fail("did not stop after the pod went", t);
  if (!removed) return Fail(std::string("rmdir: ") + std::strerror(errno), t);
  if (t.status != 0) return Fail("nonzero exit", t);
  if (t.err_text.find("(all targets exited)") == std::string::npos)
    return Fail("stopped for another reason", t);
  Log log = ParseLog(path);
  if (!log.well_formed) return Fail("malformed log: " + log.problem, t);
  const std::vector<uint32_t> want_first = {kGetppid, kGetppid, kGetppid,
                                            kGetppid, kOpenat,  kClose,
                                            kExitGroup};
  const std::vector<uint32_t> want_later = {kGetppid, kGetppid, kGetppid,
                                            kOpenat,  kClose,   kExitGroup};
  const std::vector<uint32_t> want_again = {kGetppid, kGetppid, kOpenat,
                                            kClose, kExitGroup};
  const std::vector<uint32_t> got_first = CallsOf(log, first.pid);
  const std::vector<uint32_t> got_later = CallsOf(log, later.pid);
  const std::vector<uint32_t> got_again = CallsOf(log, again.pid);
  const size_t got_outside = CallsOf(log, outside.pid).size();
  const std::string detail =
      "records=" + std::to_string(log.records.size()) + " first=" +
      Join(got_first) + " later=" + Join(got_later) + " restarted=" +
      Join(got_again) + " outside=" + std::to_string(got_outside);
  if (got_first != want_first) return Fail("wrong calls of the container's process: " + detail, t);
  if (got_later != want_later) return Fail("wrong calls of the exec'd process: " + detail, t);
  if (got_again != want_again) return Fail("wrong calls after the restart: " + detail, t);
  if (got_outside != 0) return Fail("a process outside the pod was traced: " + detail, t);
  if (log.records.size() !=
      want_first.size() + want_later.size() + want_again.size())
    return Fail("foreign records: " + detail, t);
  return {true, detail};
}

int RunScenario(const std::string& name, const std::string& sysstream) {
  Result r;
  if (name == "seq") r = ScenarioSeq(sysstream, false);
  else if (name == "nores") r = ScenarioSeq(sysstream, true);
  else if (name == "follow") r = ScenarioFollow(sysstream);
  else if (name == "gap") r = ScenarioGap(sysstream);
  else if (name == "preempt") r = ScenarioPreempt(sysstream);
  else if (name == "sigterm") r = ScenarioSigterm(sysstream);
  else if (name == "ret") r = ScenarioRet(sysstream);
  else if (name == "seccomp") r = ScenarioSeccomp(sysstream);
  else if (name == "compat") r = ScenarioCompat(sysstream);
  else if (name == "pod") r = ScenarioPod(sysstream, false);
  else if (name == "podns") r = ScenarioPod(sysstream, true);
  else r = {false, "unknown scenario"};
  std::printf("SYSSTREAM-RESULT name=%s ok=%d detail=%s\n", name.c_str(),
              r.ok ? 1 : 0, OneLine(r.detail).c_str());
  std::fflush(stdout);
  return r.ok ? 0 : 1;
}

// One run with libbpf's log on, printed whole between markers.
int RunDebug(const std::string& sysstream, bool no_sys_resource) {
  const std::string path = "/tmp/debug.log";
  unlink(path.c_str());
  SpawnOptions o;
  o.pipe_err = true;
  o.debug_env = true;
  o.drop_sys_resource = no_sys_resource;
  Child t = Spawn({sysstream, "-f", path, "--", g_self, "nowait-seq", "1"}, o);
  Finish(t, Now() + 60);
  std::printf("SYSSTREAM-DEBUG-BEGIN exit=%d%s\n", t.status,
              no_sys_resource ? " (without CAP_SYS_RESOURCE)" : "");
  std::fwrite(t.err_text.data(), 1, t.err_text.size(), stdout);
  if (!t.err_text.empty() && t.err_text.back() != '\n') std::printf("\n");
  std::printf("SYSSTREAM-DEBUG-END\n");
  std::fflush(stdout);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: vm_workload seq N | nowait-seq N | burst N | forkexec "
               "| child | scenario NAME SYSSTREAM | debug SYSSTREAM\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string mode = argv[1];
  const long n = argc > 2 ? std::atol(argv[2]) : 0;

  if (mode == "seq" || mode == "nowait-seq") {
    if (mode == "seq") WaitForGo();
    Getppids(n);
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
    syscall(SYS_close, fd);
    ExitGroup(0);
  }
  if (mode == "burst") {
    WaitForGo();
    if (n == 0) {
      for (;;) syscall(SYS_getppid);
    }
    Getppids(n);
    ExitGroup(0);
  }
  if (mode == "spin" || mode == "fifo") {
    // "spin N": N getppid on the first CPU. "fifo K": on the same CPU at
    // SCHED_FIFO, K rounds of a 50 us sleep and two getpid, preempting
    // the spinner (and its BPF program runs) every 50 us.
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof(one), &one) != 0) ExitGroup(95);
    if (mode == "fifo") {
      sched_param prio = {};
      prio.sched_priority = 50;
      if (sched_setscheduler(0, SCHED_FIFO, &prio) != 0) ExitGroup(96);
    }
    WaitForGo();
    if (mode == "spin") Getppids(n);
    for (long i = 0; mode == "fifo" && i < n; ++i) {
      timespec pause = {0, 50000};
      syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &pause, nullptr);
      syscall(SYS_getpid);
      syscall(SYS_getpid);
    }
    ExitGroup(0);
  }
  if (mode == "forkexec") {
    WaitForGo();
    pid_t child = fork();
    if (child == 0) {
      char* args[] = {argv[0], const_cast<char*>("child"), nullptr};
      execv("/proc/self/exe", args);
      ExitGroup(92);
    }
    syscall(SYS_wait4, child, nullptr, 0, nullptr);
    ExitGroup(0);
  }
  if (mode == "child") {
    Getppids(3);
    ExitGroup(0);
  }
#if defined(__x86_64__)
  if (mode == "compat") {
    long ret;
    // ia32 getpid (20) and an ia32 number >= 2^30, through int $0x80.
    for (long nr : {20L, 0x40000014L}) {
      asm volatile("int $0x80"
                   : "=a"(ret)
                   : "a"(nr)
                   : "memory", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
                     "r15");
    }
    (void)ret;
    syscall(0x80000027L);
    ExitGroup(0);
  }
#endif
  if (mode == "seccomp") {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
      ExitGroup(93);
    }
    Getppids(n);
    long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY);
    syscall(SYS_close, fd);
    ExitGroup(0);
  }

  char self[4096];
  ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return 1;
  g_self.assign(self, len);
  if (mode == "scenario" && argc == 4) return RunScenario(argv[2], argv[3]);
  if (mode == "debug" && (argc == 3 || argc == 4))
    return RunDebug(argv[2], argc == 4 && std::string(argv[3]) == "nores");
  return Usage();
}
