// SPDX-License-Identifier: Apache-2.0
// Runs a fuzz target's LLVMFuzzerTestOneInput over its seed corpus and saved
// crashers (files or directories given as arguments), then over simple
// deterministic variations of each (truncations, byte flips; up to 64 of
// each per file, fewer when the corpus is large), as a plain test with the
// default toolchain: no libFuzzer.
// It passes when no input crashes or aborts (the targets abort on a broken
// invariant).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Collect(const std::string& path, std::vector<std::string>* files) {
  struct stat sb;
  if (stat(path.c_str(), &sb) != 0) return;
  if (!S_ISDIR(sb.st_mode)) {
    files->push_back(path);
    return;
  }
  DIR* d = opendir(path.c_str());
  if (d == nullptr) return;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    Collect(path + "/" + e->d_name, files);
  }
  closedir(d);
}

void Run(const std::string& input) {
  // A copy of exactly `size` bytes, so that reading past it is caught by
  // sanitizers as it would be under libFuzzer.
  std::vector<uint8_t> copy(input.begin(), input.end());
  LLVMFuzzerTestOneInput(copy.empty() ? nullptr : copy.data(), copy.size());
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) Collect(argv[i], &files);
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no corpus files given\n");
    return 1;
  }
  uint64_t runs = 0;
  uint32_t rng = 12345;
  // About 16,000 variations in all, however large the corpus grows.
  const size_t per_file =
      std::min<size_t>(64, std::max<size_t>(4, 8000 / files.size()));
  for (const std::string& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string input = ss.str();
    Run(input);
    ++runs;
    // Truncations: every point of short inputs, per_file points of long.
    const size_t step = std::max<size_t>(1, input.size() / per_file);
    for (size_t n = 0; n < input.size(); n += step) {
      Run(input.substr(0, n));
      ++runs;
    }
    // Byte flips at pseudo-random places, to pseudo-random values.
    for (size_t k = 0; k < per_file && !input.empty(); ++k) {
      std::string mutated = input;
      rng = rng * 1103515245u + 12345u;
      const size_t at = (rng >> 8) % mutated.size();
      rng = rng * 1103515245u + 12345u;
      mutated[at] = static_cast<char>(rng >> 16);
      Run(mutated);
      ++runs;
    }
  }
  std::printf("%zu corpus files, %llu inputs run, no crash\n", files.size(),
              static_cast<unsigned long long>(runs));
  return 0;
}
