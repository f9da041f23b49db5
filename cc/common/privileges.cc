// SPDX-License-Identifier: Apache-2.0
#include "cc/common/privileges.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sysstream {

absl::Status DropAllCapabilities() {
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_NO_NEW_PRIVS): ", std::strerror(errno)));
  }
  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes
  // with the rest below. EINVAL marks the end of the kernel's capabilities.
  for (int cap = 0; cap < 64; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL &&
        errno != EPERM) {
      return absl::InternalError(
          absl::StrCat("prctl(PR_CAPBSET_DROP): ", std::strerror(errno)));
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, data) != 0) {
    return absl::InternalError(
        absl::StrCat("capset: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace sysstream
