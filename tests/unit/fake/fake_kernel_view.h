// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "plugin/kernel/kernel_view.h"
#include "tests/unit/fake/fake_network.h"

namespace vfiohooks::testing {

// What the fake kernel says about the files of a fake host's tree, where plain files in a temp dir
// cannot say it themselves: device numbers of nodes and filesystems, the open files behind
// /proc/PID/fd (which keep their identity after their filesystem is unmounted, as open files do),
// loop devices' backing files by number, EACCES where /proc hides a process's files, and the
// network namespaces' rtnetlink (FakeNetwork). Any call can be made to fail with an errno, as the
// kernel's reads fail (EACCES from an LSM, EIO, ENOMEM...), and every call is logged, so a test
// can fail each read the library makes in turn.
// FakeHost fills it while it builds the machine; the library reads it through HostPaths::view().
class FakeKernelView : public KernelView {
 public:
  explicit FakeKernelView(std::filesystem::path root) : root_(std::move(root)) {}

  Expected<FileIdentity> stat(const std::string& path) const override;
  Expected<std::string> read_link(const std::string& path) const override;
  Expected<std::vector<std::string>> list(const std::string& dir) const override;
  Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const override;
  Expected<std::string> read(const std::string& path) const override;
  // ns_file: a /proc/PID/ns/net or nsfs file of the tree (a symlink to "net:[ID]"), "" the hook's own.
  Expected<std::unique_ptr<NetworkNamespaceReader>> open_network_namespace(const std::string& ns_file) const override;

  // ---- Reads that fail, and the log of every call ---------------------------------------------
  // Calls are named "OP PATH" with the path as the host names it: "stat /proc/812/fd/3",
  // "readlink ...", "list ...", "read ...", "loop /dev/loop0", "netns /proc/812/ns/net" (entering),
  // "netlink NS TYPE" (NS the ns_file, TYPE 18 links, 22 addresses, 26 routes, 106 nexthops),
  // "packet NS".
  void fail_call(const std::string& call, int error) { call_faults_[call] = error; }
  void clear_call_faults() { call_faults_.clear(); }
  void record_calls(bool on) {
    recording_ = on;
    calls_.clear();
  }
  const std::vector<std::string>& calls() const { return calls_; }
  // The errno injected for `call`, if any; logs the call.
  std::optional<int> fault(const std::string& op, const std::string& path) const;

  FakeNetwork& network() { return network_; }
  const FakeNetwork& network() const { return network_; }

  // ---- What FakeHost tells it (paths are the fake tree's absolute paths) ----------------------
  // Everything below `dir` is on the filesystem `device` (the longest registered prefix wins).
  void add_filesystem(const std::filesystem::path& dir, DevNumber device);
  void remove_filesystem(const std::filesystem::path& dir);
  // `path` is a device node.
  void add_node(const std::filesystem::path& path, FileIdentity::Type type, DevNumber rdev);
  // A /proc magic link (fd/N, cwd, root): stat gives `identity`, readlink gives `shown`.
  void add_magic_link(const std::filesystem::path& link, const FileIdentity& identity, std::string shown);
  void add_loop(const std::filesystem::path& node, Expected<FileIdentity> backing);
  // list/stat/readlink of `path` fail with EACCES.
  void deny(const std::filesystem::path& path);
  // The tree changed under the cached answers (a root or working directory moved).
  void changed() { resolved_.clear(); }
  // Strips this prefix from readlink answers (a namespace's view of its own root).
  void add_view_root(const std::filesystem::path& dir);
  // The identity stat(2) would give `path` now, following the tree's symlinks.
  Expected<FileIdentity> resolve(const std::filesystem::path& path) const;
  // How many times `dir` was listed: /proc is listed once per scan of the processes.
  int times_listed(const std::filesystem::path& dir) const;

 private:
  std::filesystem::path root_;
  std::unordered_map<std::string, FileIdentity> magic_;
  std::unordered_map<std::string, std::string> shown_;
  std::map<std::string, FileIdentity> nodes_;
  std::map<std::string, DevNumber> filesystems_;
  std::map<std::string, Expected<FileIdentity>> loops_;
  std::unordered_set<std::string> denied_;
  std::vector<std::string> view_roots_;
  mutable std::map<std::string, int> listed_;
  std::map<std::string, int> call_faults_;
  bool recording_ = false;
  mutable std::vector<std::string> calls_;
  FakeNetwork network_;
  // What resolve() found, until the next change to the tables: /proc/PID/root and cwd are asked
  // for once per process per scan, and canonicalising them costs a syscall per path component
  // where the kernel's magic link costs one lookup.
  mutable std::unordered_map<std::string, Expected<FileIdentity>> resolved_;
};

}  // namespace vfiohooks::testing
