// SPDX-License-Identifier: Apache-2.0
// Fuzzes `sysstream decode` end to end (RunDecode) on raw and bin logs. The
// first input byte picks the output format and the architecture; the rest
// is the log, read from a memfd through its /proc/self/fd path like any
// file. A malformed log must be DataLoss, never anything worse.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cc/decode/decode_command.h"

namespace {

struct Files {
  int log = -1;
  std::string log_path;
  std::FILE* out = nullptr;
};

Files& TheFiles() {
  static Files* files = [] {
    Files* f = new Files;
    f->log = memfd_create("decode_fuzzer", 0);
    if (f->log < 0) std::abort();
    f->log_path = "/proc/self/fd/" + std::to_string(f->log);
    f->out = std::fopen("/dev/null", "w");
    if (f->out == nullptr) std::abort();
    return f;
  }();
  return *files;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Files& f = TheFiles();
  static const char* const kFormats[] = {"text", "jsonl", "summary", "raw"};
  std::vector<std::string> args = {
      std::string("--format=") + kFormats[data[0] & 3]};
  if (data[0] & 4) args.push_back((data[0] & 8) ? "--arch=arm64" : "--arch=x86_64");
  args.push_back(f.log_path);
  if (ftruncate(f.log, 0) != 0) std::abort();
  size_t done = 0;
  while (done < size - 1) {
    ssize_t n = pwrite(f.log, data + 1 + done, size - 1 - done, done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  absl::Status s = sysstream::RunDecode(args, f.out);
  if (!s.ok() && s.code() != absl::StatusCode::kDataLoss) std::abort();
  if (!s.ok() && s.message().find('\n') != absl::string_view::npos) {
    std::abort();  // one-line errors
  }
  return 0;
}
