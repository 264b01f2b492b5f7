// SPDX-License-Identifier: LGPL-2.1-or-later
// The built vfioctl over fuzz_vfioctl_args' seeds (tests/fuzz/corpus/vfioctl_args, each file an argv
// split on NUL): every one is answered within a second, with exit 1 or 2 and one short line. The
// seeds are command lines that fail before anything changes; none names a device this machine has.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tests/unit/tools/vfioctl_runner.h"

namespace vfiohooks::testing {
namespace {

using ::testing::AnyOf;
using ::testing::Eq;
using ::testing::SizeIs;

// The fuzz target's split: N NULs make N + 1 arguments; an empty file, none.
std::vector<std::string> argv_of(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  if (text.empty()) return args;
  std::size_t start = 0;
  for (std::size_t end = text.find('\0'); end != std::string::npos; end = text.find('\0', start)) {
    args.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  args.push_back(text.substr(start));
  return args;
}

TEST(VfioctlFuzzCorpus, EveryArgvIsAnsweredWithinASecondWithOneShortLine) {
  std::vector<std::filesystem::path> seeds;
  for (const auto& entry : std::filesystem::directory_iterator(VFIOCTL_FUZZ_CORPUS)) seeds.push_back(entry.path());
  std::sort(seeds.begin(), seeds.end());
  ASSERT_GE(seeds.size(), 20u);
  for (const auto& seed : seeds) {
    const auto run = run_vfioctl_process(argv_of(seed), "", std::chrono::seconds(1));
    const std::string name = seed.filename().string();
    EXPECT_FALSE(run.timed_out) << name;
    EXPECT_THAT(run.status, AnyOf(Eq(1), Eq(2))) << name;
    EXPECT_EQ(run.out, "") << name;
    EXPECT_THAT(lines(run.err), SizeIs(1)) << name << ": " << run.err;
    EXPECT_LE(run.err.size(), 200u) << name << ": " << run.err;
  }
}

}  // namespace
}  // namespace vfiohooks::testing
