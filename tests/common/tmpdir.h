// SPDX-License-Identifier: Apache-2.0
// Scratch directories for tests: under $TEST_TMPDIR when Bazel runs them,
// under /tmp otherwise.
#ifndef SYSSTREAM_TESTS_COMMON_TMPDIR_H_
#define SYSSTREAM_TESTS_COMMON_TMPDIR_H_

#include <string>

#include "absl/strings/string_view.h"
#include "gtest/gtest.h"

namespace sysstream::testutil {

// $TEST_TMPDIR, or /tmp where it is unset or empty.
std::string TestTmpDir();

// A parent for directories that hold unix sockets: TestTmpDir(), or /tmp
// where that is too long (sun_path holds 108 bytes).
std::string SocketTmpDir();

// Makes a new directory `parent`/`name`-XXXXXX and returns its path; on
// failure, records a test failure and returns "".
std::string MakeTempDir(const std::string& parent, absl::string_view name);

// Removes `path` and everything below it, ignoring errors.
void RemoveTree(const std::string& path);

// A fixture that gives each test a new directory, dir_ (MakeTempDir), and
// removes it with everything in it after the test.
class TempDirTest : public ::testing::Test {
 protected:
  explicit TempDirTest(std::string name, std::string parent = TestTmpDir());

  void SetUp() override;
  void TearDown() override;

  // dir_/`name`.
  std::string Path(absl::string_view name) const;

  std::string dir_;

 private:
  std::string name_;
  std::string parent_;
};

}  // namespace sysstream::testutil

#endif  // SYSSTREAM_TESTS_COMMON_TMPDIR_H_
