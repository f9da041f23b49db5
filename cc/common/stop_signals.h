// SPDX-License-Identifier: Apache-2.0
// The signals that stop sysstream: it drains the ring, writes what it has,
// summarizes and exits. Their default action would kill it without any of
// that. The stream reads them from a signalfd; the log writer, blocked on
// an output that takes nothing, gives up when one is pending.
#ifndef SYSSTREAM_CC_COMMON_STOP_SIGNALS_H_
#define SYSSTREAM_CC_COMMON_STOP_SIGNALS_H_

#include <signal.h>

namespace sysstream {

inline constexpr int kStopSignals[] = {SIGINT,    SIGTERM, SIGQUIT, SIGALRM,
                                       SIGVTALRM, SIGPROF, SIGXCPU};

}  // namespace sysstream

#endif  // SYSSTREAM_CC_COMMON_STOP_SIGNALS_H_
