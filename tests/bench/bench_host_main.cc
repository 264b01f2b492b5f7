// SPDX-License-Identifier: LGPL-2.1-or-later
// vfiohooks_bench_host_tool PFS ROOT XML — lays out the scale benchmarks' SR-IOV host with PFS
// physical functions under ROOT (a host root, as vfioctl --root takes it) and writes the 1 MiB domain
// XML taking 64 of its VFs to XML. For tests/bench/run-benchmarks' whole-process figures.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tests/bench/sriov_host.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: vfiohooks_bench_host_tool PFS ROOT XML\n";
    return 2;
  }
  namespace fs = std::filesystem;
  vfiohooks::testing::FakeHost host;
  vfiohooks::bench::build_sriov_host(host, static_cast<unsigned>(std::atoi(argv[1])));
  // sysfs's links are relative, as the kernel's are; /proc's magic links (PID/root, cwd, mountinfo)
  // name the fake's own tree, and are made to name the copy.
  fs::copy(host.root(), argv[2], fs::copy_options::recursive | fs::copy_options::copy_symlinks);
  const std::string from = host.root().string() + "/", to = fs::absolute(argv[2]).string() + "/";
  for (const auto& entry : fs::recursive_directory_iterator(argv[2])) {
    if (!entry.is_symlink()) continue;
    const std::string target = fs::read_symlink(entry.path()).string();
    if (!(target + "/").starts_with(from)) continue;
    fs::remove(entry.path());
    fs::create_symlink(to + target.substr(std::min(target.size(), from.size())), entry.path());
  }
  std::ofstream(argv[3]) << vfiohooks::bench::domain_xml_with_vfs(64, std::size_t{1} << 20);
  std::cout << vfiohooks::bench::function_count(host) << " PCI functions in " << argv[2] << "\n";
  return 0;
}
