// SPDX-License-Identifier: Apache-2.0
// Buffered, append-only log writing: large writes, a flush on demand (the
// stream flushes periodically so `tail -f` works), fsync on stop, and never a
// torn record in a file: a write that fails part-way (a full disk) is cut
// back to the last whole record, and what fitted stays.
//
// The writer never blocks for good on its output. FIFOs, pipes, terminals
// and sockets are written without blocking; when the output takes nothing
// (a FIFO with no reader yet, a stalled reader of "-f -"), the writer waits
// only while a buffer must be emptied, and gives up when a stop signal (SIGINT,
// SIGTERM, ...) is pending (blocked signals, as main blocks them), at the
// deadline
// (--duration), or, once the stream is stopping, after kStopGrace without
// progress. Giving up is a write error: the records are counted as not
// written.
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
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cc/common/fd.h"
#include "cc/sink/format_output.h"
#include "cc/sink/log_format.h"

namespace sysstream {

// Checks, before any tracing starts, that the log can be created as asked:
// AlreadyExists if it exists and `mode` is kAsk; FailedPrecondition for a
// directory or a symbolic link (never followed, in any mode);
// PermissionDenied / NotFound for an unwritable place. Standard streams
// ("-", /dev/stdout, /dev/stderr, /proc/self/fd/N: StandardStreamFd) must
// be open. An existing FIFO or character device (e.g. /dev/null) is fine in
// every mode: writing to it destroys nothing. `noun` names the file in
// messages ("log", "summary file").
absl::Status CheckLogPath(const std::string& path, ExistingLog mode,
                          absl::string_view noun = "log");

class LogWriter final : public FormatOutput {
 public:
  static constexpr size_t kBufferSize = 1 << 20;
  // Once the stream stops, how long the output may take nothing before the
  // rest is given up.
  static constexpr absl::Duration kStopGrace = absl::Seconds(2);

  // kAsk creates a new file (O_EXCL), kOverwrite truncates, kAppend appends;
  // always O_NOFOLLOW | O_CLOEXEC, mode 0640 (less the umask). A FIFO
  // without a reader does not block: it is connected once a reader comes.
  static absl::StatusOr<std::unique_ptr<LogWriter>> Open(
      const std::string& path, ExistingLog mode,
      absl::string_view noun = "log");
  ~LogWriter() override;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Room for one record of at most `max` bytes (max <= kBufferSize). May
  // wait for the output when the buffer is full (see above).
  char* Reserve(size_t max) {
    if (buffer_.size() - used_ < max) MakeRoom();
    return buffer_.data() + used_;
  }
  // The record just formatted into Reserve()'s space is `n` bytes long.
  void Commit(size_t n) {
    used_ += n;
    ends_.push_back(used_);
  }
  // One record of at most kBufferSize bytes.
  void Write(absl::string_view record) override;

  // Writes out what the output takes now, without waiting.
  absl::Status Flush();
  // Writes out everything (waiting as described above), then fsyncs a
  // regular file.
  absl::Status Sync();

  // SIGHUP: flush, close and open the path again, appending (after
  // logrotate moved the file away, this creates a new one).
  absl::Status Reopen();

  // Rotate by size: before a record would take the file past `max_bytes`,
  // path.N-1 → path.N, ..., path → path.1, and a new file is started; at
  // most `keep` old files stay. Whole records only; a file holds at least
  // one record, so it exceeds `max_bytes` only when its first record
  // (after the preamble) does. 0 disables. Regular files only.
  void SetRotation(uint64_t max_bytes, uint32_t keep) {
    rotate_bytes_ = max_bytes;
    rotate_keep_ = keep;
  }
  uint64_t rotations() const { return rotations_; }

  // Written at the start of every new (empty) file, just before its first
  // record (the bin format's header); a log with no record at all gets it
  // at Sync. Call before the first record.
  absl::Status SetPreamble(std::string preamble);

  // Waiting for the output gives up at `deadline` (--duration).
  void SetDeadline(absl::Time deadline) { deadline_ = deadline; }
  // The stream is stopping: no deadline any more, but a wait gives up after
  // kStopGrace without progress (or on a stop signal,
  // cc/common/stop_signals.h).
  void StopRequested() {
    deadline_ = absl::InfiniteFuture();
    stall_limit_ = kStopGrace;
  }
  // Why the writer gave up waiting, if it did: the pending stop signal
  // (left pending), or the deadline.
  int interrupt_signal() const { return interrupt_signal_; }
  bool deadline_reached() const { return deadline_reached_; }

  // Records that reached the output.
  uint64_t records_written() const { return records_written_; }
  // Records formatted but dropped after a write error.
  uint64_t records_dropped() const { return records_dropped_; }
  // The first write error, if any; after one, nothing more is written.
  const absl::Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  LogWriter() = default;
  void MakeRoom();
  // Writes buffered bytes; with `wait`, until none are left (or give up).
  void WriteOut(bool wait);
  // Writes up to `len` bytes; >0 done, 0 the output takes nothing now,
  // -1 error (status_ set).
  ssize_t WriteSome(const char* data, size_t len);
  void Advance(size_t n);
  // Blocks until the output may take data (or a FIFO reader may have
  // come); false once it gave up (status_ set).
  bool WaitForOutput();
  void Fail(int err);
  void DropBuffered();
  absl::Status OpenFd(int extra_flags);
  void AdoptFd(int fd, bool owned);
  bool ConnectFifo();
  absl::Status Rotate();
  std::string Blocked() const;

  int fd_ = -1;  // the output (an inherited standard stream, or owned_fd_)
  Fd owned_fd_;  // closed with the writer, or when another replaces it
  bool regular_file_ = false;
  bool nonblocking_ = false;  // fd_ has O_NONBLOCK (our own description)
  bool socket_ = false;
  bool pipe_ = false;          // a FIFO: writes of <= PIPE_BUF are atomic
  bool standard_ = false;      // an inherited stream: no reopen, no rotation
  bool fifo_pending_ = false;  // a FIFO path without a reader yet
  std::string path_;
  std::string noun_;
  std::vector<char> buffer_;
  size_t used_ = 0;           // bytes in buffer_
  size_t head_ = 0;           // of them, already written
  std::vector<size_t> ends_;  // end offset of each buffered record
  size_t ends_head_ = 0;      // first record not wholly written
  uint64_t records_written_ = 0;
  uint64_t records_dropped_ = 0;
  uint64_t file_bytes_ = 0;  // size of the current file (bytes written)
  uint64_t rotate_bytes_ = 0;
  uint32_t rotate_keep_ = 0;
  uint64_t rotations_ = 0;
  std::string preamble_;
  bool preamble_pending_ = false;
  size_t preamble_done_ = 0;
  absl::Time deadline_ = absl::InfiniteFuture();
  absl::Duration stall_limit_ = absl::InfiniteDuration();
  absl::Time stalled_since_ = absl::InfinitePast();  // past: not stalled
  int interrupt_signal_ = 0;
  bool deadline_reached_ = false;
  absl::Status status_;
};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_SINK_LOG_WRITER_H_
