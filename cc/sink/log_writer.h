// SPDX-License-Identifier: Apache-2.0
// Buffered, append-only log writing: large writes, a flush on demand (the
// stream flushes periodically so `tail -f` works), fsync on stop, and never a
// torn record: a write that fails part-way is cut back to the last whole
// buffer.
#ifndef SYSSTREAM_CC_SINK_LOG_WRITER_H_
#define SYSSTREAM_CC_SINK_LOG_WRITER_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cc/cli/options.h"

namespace sysstream {

// Checks, before any tracing starts, that the log can be created as asked:
// AlreadyExists if it exists and `mode` is kAsk; FailedPrecondition for a
// directory; PermissionDenied / NotFound for an unwritable place. "-" is
// standard output and always fine.
absl::Status CheckLogPath(const std::string& path, ExistingLog mode);

class LogWriter {
 public:
  static constexpr size_t kBufferSize = 1 << 20;

  // kAsk creates a new file (O_EXCL), kOverwrite truncates, kAppend appends.
  static absl::StatusOr<std::unique_ptr<LogWriter>> Open(
      const std::string& path, ExistingLog mode);
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Room for one record of at most `max` bytes (max <= kBufferSize).
  char* Reserve(size_t max) {
    if (buffer_.size() - used_ < max) FlushBuffer();
    return buffer_.data() + used_;
  }
  // The record just formatted into Reserve()'s space is `n` bytes long.
  void Commit(size_t n) {
    used_ += n;
    ++buffered_records_;
  }

  // Writes out what is buffered.
  absl::Status Flush();
  // Flush, then fsync (regular files only).
  absl::Status Sync();

  // SIGHUP: flush, close and open the path again, appending (after
  // logrotate moved the file away, this creates a new one).
  absl::Status Reopen();

  // Rotate by size: before a write would take the file past `max_bytes`,
  // path.N-1 → path.N, ..., path → path.1, and a new file is started; at
  // most `keep` old files stay. 0 disables. Whole records only.
  void SetRotation(uint64_t max_bytes, uint32_t keep) {
    rotate_bytes_ = max_bytes;
    rotate_keep_ = keep;
  }
  uint64_t rotations() const { return rotations_; }

  // Written at the start of every new (empty) file: the bin format's header.
  // Call before the first record.
  absl::Status SetPreamble(std::string preamble);

  // Records that reached the file.
  uint64_t records_written() const { return records_written_; }
  // Records formatted but dropped after a write error.
  uint64_t records_dropped() const { return records_dropped_; }
  // The first write error, if any; after one, nothing more is written.
  const absl::Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  LogWriter() = default;
  void FlushBuffer();
  absl::Status OpenFd(int extra_flags);
  absl::Status WritePreamble();
  absl::Status Rotate();

  int fd_ = -1;
  bool owns_fd_ = false;
  bool regular_file_ = false;
  std::string path_;
  std::vector<char> buffer_;
  size_t used_ = 0;
  uint64_t buffered_records_ = 0;
  uint64_t records_written_ = 0;
  uint64_t records_dropped_ = 0;
  uint64_t file_bytes_ = 0;  // size of the current file
  uint64_t rotate_bytes_ = 0;
  uint32_t rotate_keep_ = 0;
  uint64_t rotations_ = 0;
  std::string preamble_;
  absl::Status status_;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_LOG_WRITER_H_
