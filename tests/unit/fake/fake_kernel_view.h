// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <string>
#include <vector>

#include "plugin/kernel/kernel_view.h"

namespace vfiohooks::testing {

// What the fake kernel says about the files of a fake host's tree, where plain files in a temp dir
// cannot say it themselves: device numbers of nodes and filesystems, the open files behind
// /proc/PID/fd (which keep their identity after their filesystem is unmounted, as open files do),
// loop devices' backing files by number, and EACCES where /proc hides a process's files.
// FakeHost fills it while it builds the machine; the library reads it through HostPaths::view().
class FakeKernelView : public KernelView {
 public:
  explicit FakeKernelView(std::filesystem::path root) : root_(std::move(root)) {}

  Expected<FileIdentity> stat(const std::string& path) const override;
  Expected<std::string> read_link(const std::string& path) const override;
  Expected<std::vector<std::string>> list(const std::string& dir) const override;
  Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const override;

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
  // What resolve() found, until the next change to the tables: /proc/PID/root and cwd are asked
  // for once per process per scan, and canonicalising them costs a syscall per path component
  // where the kernel's magic link costs one lookup.
  mutable std::unordered_map<std::string, Expected<FileIdentity>> resolved_;
};

}  // namespace vfiohooks::testing
