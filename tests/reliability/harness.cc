// SPDX-License-Identifier: Apache-2.0
#include "tests/reliability/harness.h"

#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace reliability {

std::string g_sysstream;
std::string g_workload;

const std::set<std::string> kSysstreamProgNames = {
    "handle_sys_ente",  // handle_sys_enter, cut to BPF_OBJ_NAME_LEN - 1
    "handle_sys_exit", "handle_fork", "handle_exit"};
const std::set<std::string> kSysstreamMapNames = {
    "events",    "target_tgids",   "target_ns_tgids", "target_cgroups",
    "cpu_state", "sysstrea.rodata", "sysstrea.bss"};

bool InitHarness(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s SYSSTREAM WORKLOAD\n", argv[0]);
    std::exit(2);
  }
  char buf[4096];
  g_sysstream = realpath(argv[1], buf) ? buf : argv[1];
  g_workload = realpath(argv[2], buf) ? buf : argv[2];
  if (geteuid() != 0) {
    std::printf("SKIPPED: reliability tests need root (BPF)\n");
    return false;
  }
  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    std::printf("SKIPPED: kernel has no BTF (/sys/kernel/btf/vmlinux)\n");
    return false;
  }
  return true;
}

Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& o) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (o.pipe_in && pipe2(in, O_CLOEXEC) != 0) std::abort();
  if (o.pipe_out && pipe2(out, O_CLOEXEC) != 0) std::abort();
  if (o.pipe_err && pipe2(err, O_CLOEXEC) != 0) std::abort();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(o.pipe_in ? in[0] : devnull, 0);
    if (o.pipe_out) dup2(out[1], 1);
    if (o.out_to_null) dup2(devnull, 1);
    if (o.pipe_err) dup2(err[1], 2);
    execv(args[0], args.data());
    _exit(126);
  }
  Child c;
  c.pid = pid;
  if (o.pipe_in) {
    close(in[0]);
    c.in = in[1];
  }
  if (o.pipe_out) {
    close(out[1]);
    c.out = out[0];
  }
  if (o.pipe_err) {
    close(err[1]);
    c.err = err[0];
  }
  return c;
}

int Wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) != pid) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

std::string ReadLine(int fd, int timeout_ms) {
  std::string line;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char c;
    if (read(fd, &c, 1) <= 0) break;
    if (c == '\n') return line;
    line += c;
  }
  return line;
}

std::string ReadAll(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) s.append(buf, n);
  return s;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

uint64_t FileSize(const std::string& path) {
  struct stat sb;
  return stat(path.c_str(), &sb) == 0 ? static_cast<uint64_t>(sb.st_size) : 0;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir ? dir : "/tmp", "/", name);
  unlink(path.c_str());
  return path;
}

namespace {

// Field 3 of /proc/PID/stat (after the parenthesised comm).
char ProcState(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '?';
  return stat[paren + 2];
}

int64_t SummaryField(const std::string& text, absl::string_view after,
                     absl::string_view before) {
  // "sysstream: N events written to F, M lost, S s (why)"
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, "sysstream: ") ||
        !absl::StrContains(line, " events written to ")) {
      continue;
    }
    size_t at = 0;
    if (!after.empty()) {
      at = line.find(after);
      if (at == absl::string_view::npos) return -1;
      at += after.size();
    }
    const size_t end = line.find(before, at);
    if (end == absl::string_view::npos) return -1;
    absl::string_view digits = line.substr(at, end - at);
    const size_t space = digits.rfind(' ');
    if (space != absl::string_view::npos) digits.remove_prefix(space + 1);
    int64_t v = -1;
    return absl::SimpleAtoi(digits, &v) ? v : -1;
  }
  return -1;
}

}  // namespace

bool WaitBlockedInRead(pid_t pid) {
  const std::string path = absl::StrCat("/proc/", pid, "/syscall");
  for (int i = 0; i < 5000; ++i) {
    if (absl::StartsWith(ReadFile(path), "0 ")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return false;
}

bool WaitStopped(pid_t pid) {
  for (int i = 0; i < 5000; ++i) {
    if (ProcState(pid) == 'T') return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

bool StallConsumer(pid_t tracer, const std::string& sink, uint64_t calls,
                   bool keep_stopped) {
  if (kill(tracer, SIGSTOP) != 0 || !WaitStopped(tracer)) return false;
  const uint64_t start = FileSize(sink);
  bool grew = false;
  for (int i = 0; i < 60000 && !grew; ++i) {
    grew = FileSize(sink) >= start + calls;
    if (!grew) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!keep_stopped) kill(tracer, SIGCONT);
  return grew;
}

Tracer Tracer::Start(const std::vector<std::string>& args, bool out_to_null) {
  std::vector<std::string> argv = {g_sysstream};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions o;
  o.pipe_err = true;
  o.out_to_null = out_to_null;
  Tracer t;
  t.proc = Spawn(argv, o);
  for (int i = 0; i < 10; ++i) {
    t.ready_line = ReadLine(t.proc.err);
    if (absl::StartsWith(t.ready_line, "sysstream: tracing")) break;
  }
  return t;
}

void Tracer::Finish() {
  stderr_rest = ReadAll(proc.err);
  close(proc.err);
  exit_code = Wait(proc.pid);
}

int64_t Tracer::SummaryEvents() const {
  return SummaryField(stderr_rest, "", " events written to ");
}

int64_t Tracer::SummaryLost() const {
  return SummaryField(stderr_rest, ", ", " lost,");
}

Workload Workload::Start(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {g_workload};
  argv.insert(argv.end(), args.begin(), args.end());
  SpawnOptions o;
  o.pipe_in = true;
  o.pipe_out = true;
  Workload w;
  w.proc = Spawn(argv, o);
  WaitBlockedInRead(w.proc.pid);
  return w;
}

void Workload::Poke() {
  if (write(proc.in, "g", 1) != 1) std::perror("poke");
}

int Workload::Finish() {
  if (proc.in >= 0) close(proc.in);
  proc.in = -1;
  const int code = Wait(proc.pid);
  if (proc.out >= 0) close(proc.out);
  proc.out = -1;
  return code;
}

uint64_t RawLog::CallsOf(uint32_t pid, uint32_t nr) const {
  auto p = calls.find(pid);
  if (p == calls.end()) return 0;
  auto n = p->second.find(nr);
  return n == p->second.end() ? 0 : n->second;
}

uint64_t RawLog::AllCalls(uint32_t nr) const {
  uint64_t total = 0;
  for (const auto& [pid, by_nr] : calls) {
    auto n = by_nr.find(nr);
    if (n != by_nr.end()) total += n->second;
  }
  return total;
}

RawLog ParseRawLog(const std::string& path, char delim) {
  RawLog log;
  const std::string text = ReadFile(path);
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find(delim, start);
    if (end == std::string::npos) {
      log.well_formed = false;
      log.error = absl::StrCat("torn last record at byte ", start);
      break;
    }
    const std::string token = text.substr(start, end - start);
    const bool ok =
        !token.empty() && token.size() <= 16 &&
        token.find_first_not_of("0123456789abcdef") == std::string::npos &&
        (token.size() == 1 || token[0] != '0');
    if (!ok) {
      log.well_formed = false;
      log.error = absl::StrCat("malformed record '", token, "' at byte ", start);
      break;
    }
    const uint64_t value = std::stoull(token, nullptr, 16);
    const uint32_t pid = static_cast<uint32_t>(value >> 32);
    const uint32_t nr = static_cast<uint32_t>(value);
    ++log.records;
    if (pid == 0xffffffffU) {
      ++log.gap_markers;
      log.lost += nr;
    } else {
      ++log.calls[pid][nr];
    }
    start = end + 1;
  }
  return log;
}

// --- bpf(2) ----------------------------------------------------------------

namespace {

long Bpf(int cmd, bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int GetFdById(BpfKind kind, uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  int cmd = 0;
  switch (kind) {
    case BpfKind::kProg:
      attr.prog_id = id;
      cmd = BPF_PROG_GET_FD_BY_ID;
      break;
    case BpfKind::kMap:
      attr.map_id = id;
      cmd = BPF_MAP_GET_FD_BY_ID;
      break;
    case BpfKind::kLink:
      attr.link_id = id;
      cmd = BPF_LINK_GET_FD_BY_ID;
      break;
  }
  return static_cast<int>(Bpf(cmd, &attr));
}

}  // namespace

std::set<uint32_t> BpfIds(BpfKind kind) {
  const int cmd = kind == BpfKind::kProg  ? BPF_PROG_GET_NEXT_ID
                  : kind == BpfKind::kMap ? BPF_MAP_GET_NEXT_ID
                                          : BPF_LINK_GET_NEXT_ID;
  std::set<uint32_t> ids;
  uint32_t id = 0;
  for (;;) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.start_id = id;
    if (Bpf(cmd, &attr) != 0) break;
    id = attr.next_id;
    ids.insert(id);
  }
  return ids;
}

bool BpfExists(BpfKind kind, uint32_t id) {
  const int fd = GetFdById(kind, id);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != ENOENT;
}

std::string BpfName(BpfKind kind, uint32_t id) {
  if (kind == BpfKind::kLink) return "";
  const int fd = GetFdById(kind, id);
  if (fd < 0) return "";
  bpf_prog_info prog;
  bpf_map_info map;
  std::memset(&prog, 0, sizeof(prog));
  std::memset(&map, 0, sizeof(map));
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = static_cast<uint32_t>(fd);
  if (kind == BpfKind::kProg) {
    attr.info.info_len = sizeof(prog);
    attr.info.info = reinterpret_cast<uint64_t>(&prog);
  } else {
    attr.info.info_len = sizeof(map);
    attr.info.info = reinterpret_cast<uint64_t>(&map);
  }
  const long rc = Bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
  close(fd);
  if (rc != 0) return "";
  const char* name = kind == BpfKind::kProg ? prog.name : map.name;
  return std::string(name, strnlen(name, BPF_OBJ_NAME_LEN));
}

std::set<uint32_t> IdsNamed(BpfKind kind, const std::set<std::string>& names) {
  std::set<uint32_t> ids;
  for (uint32_t id : BpfIds(kind)) {
    if (names.count(BpfName(kind, id))) ids.insert(id);
  }
  return ids;
}

HeldObjects HeldBy(pid_t pid) {
  HeldObjects held;
  const std::string dir = absl::StrCat("/proc/", pid, "/fdinfo");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return held;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string info = ReadFile(absl::StrCat(dir, "/", e->d_name));
    std::map<std::string, uint32_t> fields;
    for (absl::string_view line : absl::StrSplit(info, '\n')) {
      std::vector<absl::string_view> kv = absl::StrSplit(line, ':');
      uint32_t v = 0;
      if (kv.size() == 2 &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[1]), &v)) {
        fields[std::string(kv[0])] = v;
      }
    }
    // A link's fdinfo also names its program: look at link_id first.
    if (fields.count("link_id")) {
      held.links.insert(fields["link_id"]);
    } else if (fields.count("prog_id")) {
      held.progs.insert(fields["prog_id"]);
    } else if (fields.count("map_id")) {
      held.maps.insert(fields["map_id"]);
    }
  }
  closedir(d);
  return held;
}

HeldObjects HeldByAnyProcess() {
  HeldObjects all;
  DIR* d = opendir("/proc");
  if (d == nullptr) return all;
  while (dirent* e = readdir(d)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    HeldObjects h = HeldBy(pid);
    all.progs.insert(h.progs.begin(), h.progs.end());
    all.maps.insert(h.maps.begin(), h.maps.end());
    all.links.insert(h.links.begin(), h.links.end());
  }
  closedir(d);
  return all;
}

int64_t MapEntries(uint32_t map_id) {
  const int fd = GetFdById(BpfKind::kMap, map_id);
  if (fd < 0) return -1;
  int64_t n = 0;
  uint32_t key = 0, next = 0;
  bool first = true;
  for (;;) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.map_fd = static_cast<uint32_t>(fd);
    attr.key = first ? 0 : reinterpret_cast<uint64_t>(&key);
    attr.next_key = reinterpret_cast<uint64_t>(&next);
    if (Bpf(BPF_MAP_GET_NEXT_KEY, &attr) != 0) break;
    ++n;
    key = next;
    first = false;
  }
  close(fd);
  return n;
}

uint32_t HeldMapNamed(pid_t pid, const std::string& name) {
  for (uint32_t id : HeldBy(pid).maps) {
    if (BpfName(BpfKind::kMap, id) == name) return id;
  }
  return 0;
}

}  // namespace reliability
