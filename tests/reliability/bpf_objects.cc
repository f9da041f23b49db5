// SPDX-License-Identifier: Apache-2.0
#include "tests/reliability/bpf_objects.h"

#include <dirent.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/harness/process.h"

namespace reliability {

using ::sysstream::harness::ReadFile;

const std::set<std::string> kSysstreamProgNames = {
    "handle_sys_ente",  // handle_sys_enter, cut to BPF_OBJ_NAME_LEN - 1
    "handle_sys_exit", "handle_fork", "handle_exit"};
const std::set<std::string> kSysstreamMapNames = {
    "events",    "target_tgids",    "target_ns_tgids", "target_cgroups",
    "cpu_state", "sysstrea.rodata", "sysstrea.bss"};

namespace {

long Bpf(int cmd, bpf_attr* attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int GetFdById(BpfKind kind, uint32_t id) {
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  int cmd = 0;
  switch (kind) {
    case BpfKind::kProg:
      attr.prog_id = id;
      cmd = BPF_PROG_GET_FD_BY_ID;
      break;
    case BpfKind::kMap:
      attr.map_id = id;
      cmd = BPF_MAP_GET_FD_BY_ID;
      break;
    case BpfKind::kLink:
      attr.link_id = id;
      cmd = BPF_LINK_GET_FD_BY_ID;
      break;
  }
  return static_cast<int>(Bpf(cmd, &attr));
}

}  // namespace

std::set<uint32_t> BpfIds(BpfKind kind) {
  const int cmd = kind == BpfKind::kProg  ? BPF_PROG_GET_NEXT_ID
                  : kind == BpfKind::kMap ? BPF_MAP_GET_NEXT_ID
                                          : BPF_LINK_GET_NEXT_ID;
  std::set<uint32_t> ids;
  uint32_t id = 0;
  for (;;) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.start_id = id;
    if (Bpf(cmd, &attr) != 0) break;
    id = attr.next_id;
    ids.insert(id);
  }
  return ids;
}

bool BpfExists(BpfKind kind, uint32_t id) {
  const int fd = GetFdById(kind, id);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return errno != ENOENT;
}

std::string BpfName(BpfKind kind, uint32_t id) {
  if (kind == BpfKind::kLink) return "";
  const int fd = GetFdById(kind, id);
  if (fd < 0) return "";
  bpf_prog_info prog;
  bpf_map_info map;
  std::memset(&prog, 0, sizeof(prog));
  std::memset(&map, 0, sizeof(map));
  bpf_attr attr;
  std::memset(&attr, 0, sizeof(attr));
  attr.info.bpf_fd = static_cast<uint32_t>(fd);
  if (kind == BpfKind::kProg) {
    attr.info.info_len = sizeof(prog);
    attr.info.info = reinterpret_cast<uint64_t>(&prog);
  } else {
    attr.info.info_len = sizeof(map);
    attr.info.info = reinterpret_cast<uint64_t>(&map);
  }
  const long rc = Bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
  close(fd);
  if (rc != 0) return "";
  const char* name = kind == BpfKind::kProg ? prog.name : map.name;
  return std::string(name, strnlen(name, BPF_OBJ_NAME_LEN));
}

std::set<uint32_t> IdsNamed(BpfKind kind, const std::set<std::string>& names) {
  std::set<uint32_t> ids;
  for (uint32_t id : BpfIds(kind)) {
    if (names.count(BpfName(kind, id))) ids.insert(id);
  }
  return ids;
}

HeldObjects HeldBy(pid_t pid) {
  HeldObjects held;
  const std::string dir = absl::StrCat("/proc/", pid, "/fdinfo");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return held;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string info = ReadFile(absl::StrCat(dir, "/", e->d_name));
    std::map<std::string, uint32_t> fields;
    for (absl::string_view line : absl::StrSplit(info, '\n')) {
      std::vector<absl::string_view> kv = absl::StrSplit(line, ':');
      uint32_t v = 0;
      if (kv.size() == 2 &&
          absl::SimpleAtoi(absl::StripAsciiWhitespace(kv[1]), &v)) {
        fields[std::string(kv[0])] = v;
      }
    }
    // A link's fdinfo also names its program: look at link_id first.
    if (fields.count("link_id")) {
      held.links.insert(fields["link_id"]);
    } else if (fields.count("prog_id")) {
      held.progs.insert(fields["prog_id"]);
    } else if (fields.count("map_id")) {
      held.maps.insert(fields["map_id"]);
    }
  }
  closedir(d);
  return held;
}

HeldObjects HeldByAnyProcess() {
  HeldObjects all;
  DIR* d = opendir("/proc");
  if (d == nullptr) return all;
  while (dirent* e = readdir(d)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    HeldObjects h = HeldBy(pid);
    all.progs.insert(h.progs.begin(), h.progs.end());
    all.maps.insert(h.maps.begin(), h.maps.end());
    all.links.insert(h.links.begin(), h.links.end());
  }
  closedir(d);
  return all;
}

int64_t MapEntries(uint32_t map_id) {
  const int fd = GetFdById(BpfKind::kMap, map_id);
  if (fd < 0) return -1;
  int64_t n = 0;
  uint32_t key = 0, next = 0;
  bool first = true;
  for (;;) {
    bpf_attr attr;
    std::memset(&attr, 0, sizeof(attr));
    attr.map_fd = static_cast<uint32_t>(fd);
    attr.key = first ? 0 : reinterpret_cast<uint64_t>(&key);
    attr.next_key = reinterpret_cast<uint64_t>(&next);
    if (Bpf(BPF_MAP_GET_NEXT_KEY, &attr) != 0) break;
    ++n;
    key = next;
    first = false;
  }
  close(fd);
  return n;
}

uint32_t HeldMapNamed(pid_t pid, const std::string& name) {
  for (uint32_t id : HeldBy(pid).maps) {
    if (BpfName(BpfKind::kMap, id) == name) return id;
  }
  return 0;
}

}  // namespace reliability
