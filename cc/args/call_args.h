// SPDX-License-Identifier: Apache-2.0
// A call's arguments as user space holds them (--args): the six argument
// registers and the user memory the kernel copied for them (bpf/sysstream.h
// struct sysstream_args and its blobs), whatever their source (live rings
// or a bin log). The decoders (cc/args/decode_args.h) render it.
#ifndef SYSSTREAM_CC_ARGS_CALL_ARGS_H_
#define SYSSTREAM_CC_ARGS_CALL_ARGS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sysstream {

enum class CaptureStatus : uint8_t {
  kOk,
  kTruncated,   // cut at --string-size / --data-size: `bytes` is the start
  kUnreadable,  // the kernel could not read it: `bytes` is empty
};

struct Captured {
  std::string bytes;  // without the terminating NUL of a string
  CaptureStatus status = CaptureStatus::kOk;
};

struct CallArgs {
  std::array<uint64_t, 6> regs{};
  // Copied at entry (or, if its page was not resident then, at return):
  // strings, sockaddrs, write buffers with --data.
  std::array<std::optional<Captured>, 6> in;
  // Copied at return: out-parameters (readlink's buffer, getcwd's, accept's
  // address, read buffers with --data).
  std::array<std::optional<Captured>, 6> out;
  // execve/execveat argv: the items copied, in order; argv_arg is the
  // argument index (-1: none); argv_more: the array had more items.
  int argv_arg = -1;
  std::vector<Captured> argv;
  bool argv_more = false;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_ARGS_CALL_ARGS_H_
