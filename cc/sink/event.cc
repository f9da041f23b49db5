// SPDX-License-Identifier: Apache-2.0
#include "cc/sink/event.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cc/sink/raw_format.h"
#include "cc/syscalls/errno_names.h"

namespace sysstream {
namespace {

// Linux returns -errno for errors in [-4095, -1].
bool IsError(int64_t ret) { return ret < 0 && ret >= -4095; }

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong
// forms, no surrogates, at most U+10FFFF), or 0 if there is none.
size_t Utf8SequenceAt(const std::string& s, size_t i) {
  const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = at(i);
  size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xbf) return 0;
  }
  return n;
}

// A JSON string body: valid UTF-8 as is; '"', '\\', control characters
// (C0, DEL and the C1 range U+0080..U+009F) escaped as \uXXXX, which is
// lossless. A byte that is not part of valid UTF-8 (a name cut by the
// kernel inside a character, or not UTF-8 at all) becomes U+FFFD and
// `*lossy` is set: the caller then adds the exact bytes in hex.
std::string JsonEscape(const std::string& s, bool* lossy) {
  std::string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = Utf8SequenceAt(s, i);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      *lossy = true;
      ++i;
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
    } else if (c < 0x20 || c == 0x7f) {
      out += absl::StrFormat("\\u%04x", c);
      ++i;
    } else if (n == 2 && c == 0xc2 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9f) {
      out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(s[i + 1]));
      i += 2;
    } else {
      out.append(s, i, n);
      i += n;
    }
  }
  return out;
}

std::string Hex(const std::string& s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// A thread name is chosen by the traced program: in text lines, bytes that
// could forge a line or a field (controls, non-ASCII, parentheses and the
// backslash) are shown as \xNN.
std::string TextSafe(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c >= 0x7f || c == '\\' || c == '(' || c == ')') {
      out += absl::StrFormat("\\x%02x", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Event EventFromRecord(uint64_t record) {
  Event e;
  if (IsGapMarker(record)) {
    e.lost = RecordSyscall(record);
    return e;
  }
  if (IsSkipMarker(record)) {
    e.skipped = RecordSyscall(record);
    return e;
  }
  e.pid = RecordPid(record);
  const uint32_t nr = RecordSyscall(record);
  if ((nr & SYSSTREAM_NR_OUT_OF_RANGE) == SYSSTREAM_NR_OUT_OF_RANGE) {
    e.out_of_range = true;
    e.nr = nr & SYSSTREAM_NR_LOW_BITS;
  } else {
    e.compat = (nr & SYSSTREAM_COMPAT_BIT) != 0;
    e.nr = nr & ~SYSSTREAM_COMPAT_BIT;
  }
  return e;
}

uint32_t RecordNumber(const Event& e) {
  if (e.out_of_range) return SYSSTREAM_NR_OUT_OF_RANGE | (e.nr & SYSSTREAM_NR_LOW_BITS);
  return e.compat ? (SYSSTREAM_COMPAT_BIT | e.nr) : e.nr;
}

std::string SyscallLabel(const Event& e, Arch arch) {
  if (e.out_of_range) return "out_of_range";
  if (e.compat) {
    absl::string_view name = SyscallName(Arch::kI386, e.nr);
    return name.empty() ? absl::StrCat("ia32:syscall_", e.nr)
                        : absl::StrCat("ia32:", name);
  }
  absl::string_view name = SyscallName(arch, e.nr);
  if (name.empty()) return absl::StrCat("syscall_", e.nr);
  return std::string(name);
}

std::string FormatText(const Event& e, Arch arch) {
  if (e.lost > 0) return absl::StrCat("-- ", e.lost, " records lost --");
  if (e.skipped > 0) {
    return absl::StrCat("-- up to ", e.skipped, e.skipped == 1 ? " call" : " calls",
                        " may be missing (the kernel skipped ", e.skipped,
                        e.skipped == 1 ? " run" : " runs", ") --");
  }
  std::string out;
  if (e.ts_ns) {
    absl::StrAppend(&out, absl::StrFormat("%d.%09d ", *e.ts_ns / 1000000000,
                                          *e.ts_ns % 1000000000));
  }
  absl::StrAppend(&out, e.pid);
  if (e.tid) absl::StrAppend(&out, "/", *e.tid);
  if (e.comm) absl::StrAppend(&out, " (", TextSafe(*e.comm), ")");
  absl::StrAppend(&out, " ", SyscallLabel(e, arch), "(", e.nr, ")");
  if (e.ret) {
    absl::StrAppend(&out, " = ", *e.ret);
    if (IsError(*e.ret)) {
      absl::string_view name = ErrnoName(-*e.ret);
      if (!name.empty()) absl::StrAppend(&out, " ", name);
    }
  } else if (e.return_lost) {
    absl::StrAppend(&out, " = ? (return lost)");
  }
  if (e.duration_ns) {
    absl::StrAppend(&out, absl::StrFormat(" <%d.%06d>", *e.duration_ns / 1000000000,
                                          (*e.duration_ns / 1000) % 1000000));
  }
  return out;
}

std::string FormatJson(const Event& e, Arch arch) {
  if (e.lost > 0) return absl::StrCat("{\"gap\":", e.lost, "}");
  if (e.skipped > 0) return absl::StrCat("{\"skipped\":", e.skipped, "}");
  std::string out = absl::StrCat("{\"pid\":", e.pid, ",\"nr\":", e.nr,
                                 ",\"syscall\":\"", SyscallLabel(e, arch), "\"");
  if (e.compat) absl::StrAppend(&out, ",\"compat\":true");
  if (e.out_of_range) absl::StrAppend(&out, ",\"out_of_range\":true");
  if (e.ts_ns) absl::StrAppend(&out, ",\"ts_ns\":", *e.ts_ns);
  if (e.tid) absl::StrAppend(&out, ",\"tid\":", *e.tid);
  if (e.comm) {
    bool lossy = false;
    absl::StrAppend(&out, ",\"comm\":\"", JsonEscape(*e.comm, &lossy), "\"");
    // Not valid UTF-8: the exact bytes too, so nothing is lost.
    if (lossy) absl::StrAppend(&out, ",\"comm_hex\":\"", Hex(*e.comm), "\"");
  }
  if (e.ret) {
    absl::StrAppend(&out, ",\"ret\":", *e.ret);
    if (IsError(*e.ret)) {
      absl::string_view name = ErrnoName(-*e.ret);
      absl::StrAppend(&out, ",\"errno\":\"",
                      name.empty() ? absl::StrCat("E", -*e.ret)
                                   : std::string(name),
                      "\"");
    }
  }
  if (e.duration_ns) absl::StrAppend(&out, ",\"duration_ns\":", *e.duration_ns);
  if (e.return_lost) absl::StrAppend(&out, ",\"ret_lost\":true");
  out += "}";
  return out;
}

}  // namespace sysstream
