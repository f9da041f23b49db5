// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/append_check.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "cc/common/fd.h"
#include "cc/sink/bin_format.h"
#include "cc/sink/formats.h"
#include "cc/sink/raw_format.h"

namespace sysstream {
namespace {

constexpr size_t kLook = 4096;  // bytes read at each end of the file

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

absl::string_view Name(LogFormat f) { return FormatOf(f).name; }

bool ReadAt(int fd, off_t at, size_t n, std::string* out) {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = pread(fd, out->data() + done, n - done,
                            at + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<size_t>(r);
  }
  return true;
}

absl::Status Refuse(const std::string& path, absl::string_view why) {
  return absl::FailedPreconditionError(
      absl::StrCat("cannot append to log '", path, "': ", why));
}

absl::Status Torn(const std::string& path, uint64_t size, uint64_t keep) {
  return Refuse(path, absl::StrCat(
                          "its last record is torn (", size - keep,
                          " bytes after the last whole record, at byte ", keep,
                          "): cut it off with 'truncate -s ", keep,
                          "', or use --force or another file"));
}

}  // namespace

LogFormat DetectLogFormat(absl::string_view head) {
  if (head.size() >= sizeof(kBinMagic) &&
      std::memcmp(head.data(), kBinMagic, sizeof(kBinMagic)) == 0) {
    return LogFormat::kBin;
  }
  if (!head.empty() && head[0] == '{') return LogFormat::kJsonl;
  for (char c : head) {
    if (!IsHex(c) && !IsRawDelimiter(c)) return LogFormat::kText;
  }
  return LogFormat::kRaw;
}

absl::Status CheckAppendable(const std::string& path, LogFormat format,
                             absl::string_view bin_header) {
  const Fd fd(open(path.c_str(),
                  O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) return absl::OkStatus();  // missing: CheckLogPath's business
  struct stat sb;
  std::string head, tail;
  bool read_ok = fstat(fd.get(), &sb) == 0;
  const uint64_t size = read_ok && S_ISREG(sb.st_mode)
                            ? static_cast<uint64_t>(sb.st_size)
                            : 0;
  if (size > 0) {
    read_ok = ReadAt(fd.get(), 0, std::min<uint64_t>(size, kLook), &head) &&
              ReadAt(fd.get(),
                     static_cast<off_t>(size - std::min<uint64_t>(size, kLook)),
                     std::min<uint64_t>(size, kLook), &tail);
  }
  if (size == 0) return absl::OkStatus();
  if (!read_ok) {
    return Refuse(path, absl::StrCat("cannot read it: ", std::strerror(errno)));
  }
  const LogFormat found = DetectLogFormat(head);
  if (found != format) {
    return Refuse(path, absl::StrCat("it is a ", Name(found),
                                     " log, and this run writes ", Name(format),
                                     " (use --format ", Name(found),
                                     ", or another file)"));
  }
  switch (format) {
    case LogFormat::kBin: {
      if (size < sizeof(BinHeader)) return Torn(path, size, 0);
      BinHeader had, want;
      std::memcpy(&had, head.data(), sizeof(had));
      if (bin_header.size() != sizeof(want)) return absl::OkStatus();
      std::memcpy(&want, bin_header.data(), sizeof(want));
      if (had.version != want.version || had.record_size != want.record_size ||
          had.header_size != want.header_size) {
        return Refuse(path, absl::StrCat("its bin version ", had.version,
                                         " differs from this one's (",
                                         want.version, ")"));
      }
      if (had.arch != want.arch) {
        return Refuse(path, "it was written on another architecture");
      }
      if (had.pidns_dev != want.pidns_dev || had.pidns_ino != want.pidns_ino) {
        return Refuse(path,
                      "its PIDs are from another PID namespace than this run's");
      }
      if (had.fields != want.fields) {
        return Refuse(path,
                      "it was written with other fields (--timestamps, --tid, "
                      "--comm, --ret) than this run's");
      }
      const uint64_t records = (size - sizeof(BinHeader)) / sizeof(sysstream_event);
      const uint64_t keep = sizeof(BinHeader) + records * sizeof(sysstream_event);
      if (keep != size) return Torn(path, size, keep);
      return absl::OkStatus();
    }
    case LogFormat::kRaw: {
      if (IsRawDelimiter(tail.back())) return absl::OkStatus();
      size_t last = tail.size();
      while (last > 0 && !IsRawDelimiter(tail[last - 1])) --last;
      return Torn(path, size, size - (tail.size() - last));
    }
    case LogFormat::kText:
    case LogFormat::kJsonl: {
      const bool whole =
          tail.back() == '\n' &&
          (format == LogFormat::kText ||
           (tail.size() >= 2 && tail[tail.size() - 2] == '}'));
      if (whole) return absl::OkStatus();
      size_t last = tail.size();
      if (tail.back() == '\n') --last;  // a jsonl line cut before its '}'
      while (last > 0 && tail[last - 1] != '\n') --last;
      return Torn(path, size, size - (tail.size() - last));
    }
  }
  return absl::OkStatus();
}

}  // namespace sysstream
