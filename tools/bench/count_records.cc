// SPDX-License-Identifier: Apache-2.0
// count_records LOG PID NR
//
// Reads a sysstream log in the raw format (each record "%lx" followed by a
// tab) and prints one line:
//   records=R events=E gap_markers=G lost=L pid_records=P matched=M
// R: all records; G: gap markers (upper 32 bits SYSSTREAM_GAP_PID) and L
// the sum of their low 32 bits (syscalls lost); E = R - G; P: records whose
// upper 32 bits equal PID; M: those of them whose lower 32 bits equal NR.
// Any malformed input (a byte that is neither a hex digit nor a tab, an
// empty record, more than 16 digits, a last record without its tab) is an
// error: exit 1 with one line on stderr. Usage errors exit 2.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "bpf/sysstream.h"
#include "tools/bench/bench_util.h"

namespace {

using sysstream::bench::ParseDecimal;

struct Counts {
  uint64_t records = 0;
  uint64_t gap_markers = 0;
  uint64_t lost = 0;
  uint64_t pid_records = 0;
  uint64_t matched = 0;
};

}  // namespace

int main(int argc, char** argv) {
  uint64_t pid = 0, nr = 0;  // 32-bit values, as in the records
  if (argc != 4 || !ParseDecimal(argv[2], UINT32_MAX, &pid) ||
      !ParseDecimal(argv[3], UINT32_MAX, &nr)) {
    std::fprintf(stderr, "usage: count_records LOG PID SYSCALL_NR\n");
    return 2;
  }
  int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::fprintf(stderr, "count_records: %s: %s\n", argv[1],
                 std::strerror(errno));
    return 1;
  }
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);

  // Hex digit value, or -1 for anything else.
  int8_t digit[256];
  std::memset(digit, -1, sizeof(digit));
  for (int c = '0'; c <= '9'; ++c) digit[c] = static_cast<int8_t>(c - '0');
  for (int c = 'a'; c <= 'f'; ++c) digit[c] = static_cast<int8_t>(c - 'a' + 10);
  for (int c = 'A'; c <= 'F'; ++c) digit[c] = static_cast<int8_t>(c - 'A' + 10);

  const uint64_t want = (pid << 32) | nr;
  Counts n;
  uint64_t value = 0;
  int ndigits = 0;
  uint64_t offset = 0;  // of the current buffer's first byte
  std::vector<unsigned char> buf(1 << 20);
  for (;;) {
    ssize_t got = read(fd, buf.data(), buf.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      std::fprintf(stderr, "count_records: %s: %s\n", argv[1],
                   std::strerror(errno));
      return 1;
    }
    if (got == 0) break;
    for (ssize_t i = 0; i < got; ++i) {
      const unsigned char c = buf[i];
      const int d = digit[c];
      if (d >= 0) {
        if (++ndigits > 16) {
          std::fprintf(stderr,
                       "count_records: %s: record at byte %llu has more than "
                       "16 hex digits\n",
                       argv[1], static_cast<unsigned long long>(offset + i));
          return 1;
        }
        value = (value << 4) | static_cast<uint64_t>(d);
        continue;
      }
      if (c != '\t' || ndigits == 0) {
        std::fprintf(stderr,
                     "count_records: %s: malformed log at byte %llu (0x%02x)\n",
                     argv[1], static_cast<unsigned long long>(offset + i), c);
        return 1;
      }
      ++n.records;
      const uint32_t rpid = static_cast<uint32_t>(value >> 32);
      if (rpid == SYSSTREAM_GAP_PID) {
        ++n.gap_markers;
        n.lost += static_cast<uint32_t>(value);
      } else if (rpid == pid) {
        ++n.pid_records;
        n.matched += value == want;
      }
      value = 0;
      ndigits = 0;
    }
    offset += static_cast<uint64_t>(got);
  }
  close(fd);
  if (ndigits != 0) {
    std::fprintf(stderr, "count_records: %s: last record has no tab\n",
                 argv[1]);
    return 1;
  }
  std::printf(
      "records=%llu events=%llu gap_markers=%llu lost=%llu pid_records=%llu "
      "matched=%llu\n",
      static_cast<unsigned long long>(n.records),
      static_cast<unsigned long long>(n.records - n.gap_markers),
      static_cast<unsigned long long>(n.gap_markers),
      static_cast<unsigned long long>(n.lost),
      static_cast<unsigned long long>(n.pid_records),
      static_cast<unsigned long long>(n.matched));
  return 0;
}
