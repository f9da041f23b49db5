// SPDX-License-Identifier: Apache-2.0
// abseil 20220623 (Debian) ships no status_macros.h: these two are ours.
#ifndef SYSSTREAM_CC_COMMON_STATUS_MACROS_H_
#define SYSSTREAM_CC_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"

#define SYSSTREAM_CONCAT_INNER_(a, b) a##b
#define SYSSTREAM_CONCAT_(a, b) SYSSTREAM_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    ::absl::Status _sysstream_status = (expr);             \
    if (!_sysstream_status.ok()) return _sysstream_status; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(SYSSTREAM_CONCAT_(_sysstream_or_, __LINE__), lhs, expr)

#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // SYSSTREAM_CC_COMMON_STATUS_MACROS_H_
