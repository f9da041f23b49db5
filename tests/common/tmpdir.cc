// SPDX-License-Identifier: Apache-2.0
#include "tests/common/tmpdir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace sysstream::testutil {

std::string TestTmpDir() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t != nullptr && *t != '\0' ? t : "/tmp";
}

std::string SocketTmpDir() {
  const std::string base = TestTmpDir();
  return base.size() > 60 ? "/tmp" : base;
}

std::string MakeTempDir(const std::string& parent, absl::string_view name) {
  std::string tmpl = absl::StrCat(parent, "/", name, "-XXXXXX");
  if (mkdtemp(tmpl.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << tmpl << ": " << std::strerror(errno);
    return "";
  }
  return tmpl;
}

void RemoveTree(const std::string& path) {
  std::error_code ignored;
  std::filesystem::remove_all(path, ignored);
}

TempDirTest::TempDirTest(std::string name, std::string parent)
    : name_(std::move(name)), parent_(std::move(parent)) {}

void TempDirTest::SetUp() {
  dir_ = MakeTempDir(parent_, name_);
  ASSERT_FALSE(dir_.empty());
}

void TempDirTest::TearDown() {
  if (!dir_.empty()) RemoveTree(dir_);
}

std::string TempDirTest::Path(absl::string_view name) const {
  return absl::StrCat(dir_, "/", name);
}

}  // namespace sysstream::testutil
