// SPDX-License-Identifier: Apache-2.0
// What the reliability tests share: starting the real sysstream binary and
// the workload, reading raw logs strictly, and looking at the kernel's BPF
// objects (programs, maps, links) through bpf(2) itself.
#ifndef SYSSTREAM_TESTS_RELIABILITY_HARNESS_H_
#define SYSSTREAM_TESTS_RELIABILITY_HARNESS_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace reliability {

// Set by InitHarness from argv: the binaries under test.
extern std::string g_sysstream;
extern std::string g_workload;

// Parses argv (SYSSTREAM WORKLOAD), makes their paths absolute; false (and
// a printed reason) when the tests must be skipped: not root, or no BTF.
bool InitHarness(int argc, char** argv);

struct Child {
  pid_t pid = -1;
  int in = -1;   // its stdin (write end), if piped
  int out = -1;  // its stdout (read end), if piped
  int err = -1;  // its stderr (read end), if piped
};

struct SpawnOptions {
  bool pipe_in = false;
  bool pipe_out = false;
  bool pipe_err = false;
  bool out_to_null = false;
};

Child Spawn(const std::vector<std::string>& argv, const SpawnOptions& o);
// Exit code, or 128+signal.
int Wait(pid_t pid);
// One line from fd without its '\n' ("" after `timeout_ms`).
std::string ReadLine(int fd, int timeout_ms = 60000);
std::string ReadAll(int fd);
std::string ReadFile(const std::string& path);
uint64_t FileSize(const std::string& path);
// $TEST_TMPDIR/name, removed if it exists.
std::string TempPath(const std::string& name);
// Waits until `pid` is blocked in read(2) (state S in syscall 0).
bool WaitBlockedInRead(pid_t pid);
// Waits until `pid` is stopped (state T).
bool WaitStopped(pid_t pid);
// Makes the ring overflow for certain, whatever the machine's speed:
// stops the tracer (SIGSTOP) until the workload's `sink` file has grown by
// `calls` bytes (one byte per write(2)), then lets it go on unless
// `keep_stopped`. False if the tracer never stopped or the sink did not grow
// within a minute.
bool StallConsumer(pid_t tracer, const std::string& sink, uint64_t calls,
                   bool keep_stopped = false);

// A running sysstream, waited for until its "tracing" line.
struct Tracer {
  Child proc;
  std::string ready_line;
  std::string stderr_rest;  // after the ready line, read by Finish()
  int exit_code = -1;

  static Tracer Start(const std::vector<std::string>& args,
                      bool out_to_null = false);
  void Finish();
  // From "sysstream: N events written to ..., M lost, ..." (-1 if absent).
  int64_t SummaryEvents() const;
  int64_t SummaryLost() const;
};

// A workload blocked before its measured part.
struct Workload {
  Child proc;
  static Workload Start(const std::vector<std::string>& args);
  // Writes one byte to its stdin (the first starts it).
  void Poke();
  // Closes its stdin and waits for it.
  int Finish();
};

// A raw log, read strictly: every record lowercase hex without leading
// zeros, at most 16 digits, each followed by the delimiter; `well_formed`
// is false (and `error` says where) otherwise.
struct RawLog {
  bool well_formed = true;
  std::string error;
  uint64_t records = 0;      // all records, gap markers included
  uint64_t gap_markers = 0;  // records that are gap markers
  uint64_t lost = 0;         // sum of the gap markers' counts
  std::map<uint32_t, std::map<uint32_t, uint64_t>> calls;  // pid → nr → n
  uint64_t CallsOf(uint32_t pid, uint32_t nr) const;
  uint64_t AllCalls(uint32_t nr) const;  // every pid
  uint64_t Events() const { return records - gap_markers; }
};
RawLog ParseRawLog(const std::string& path, char delim = '\t');

// --- BPF objects in the kernel ------------------------------------------

enum class BpfKind { kProg, kMap, kLink };

// Ids of every object of `kind` in the kernel now.
std::set<uint32_t> BpfIds(BpfKind kind);
// True while the object exists.
bool BpfExists(BpfKind kind, uint32_t id);
// Name of a program or map ("" if gone or a link).
std::string BpfName(BpfKind kind, uint32_t id);
// The programs / maps that now have one of `names`.
std::set<uint32_t> IdsNamed(BpfKind kind, const std::set<std::string>& names);
// The BPF objects a process holds open, from /proc/PID/fdinfo.
struct HeldObjects {
  std::set<uint32_t> progs, maps, links;
};
HeldObjects HeldBy(pid_t pid);
// ...by any process now.
HeldObjects HeldByAnyProcess();
// Number of keys in a hash map (4-byte keys), or -1.
int64_t MapEntries(uint32_t map_id);
// The map named `name` among those `pid` holds (0 if none).
uint32_t HeldMapNamed(pid_t pid, const std::string& name);

// sysstream's programs and maps (bpf/sysstream.bpf.c), as the kernel names
// them (16 characters at most).
extern const std::set<std::string> kSysstreamProgNames;
extern const std::set<std::string> kSysstreamMapNames;

}  // namespace reliability

#endif  // SYSSTREAM_TESTS_RELIABILITY_HARNESS_H_
