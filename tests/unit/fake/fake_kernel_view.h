// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugin/kernel/kernel_view.h"
#include "tests/unit/fake/fake_network.h"

namespace vfiohooks::testing {

// What the fake kernel says about the files of a fake host's tree, where plain files in a temp dir
// cannot say it themselves: device numbers of nodes and filesystems, mount ids, the open files
// behind /proc/PID/fd (which keep their identity after their filesystem is unmounted, as open files
// do), loop devices' backing files by number, which block devices the kernel holds exclusively
// (O_EXCL opens fail with EBUSY as bd_may_claim decides), processes kept in mount namespaces no
// process is in, EACCES where /proc hides a process's files, and the network namespaces' rtnetlink
// (FakeNetwork). Any call can be made to fail with an errno, as the kernel's reads fail (EACCES
// from an LSM, EIO, ENOMEM...), and every call is logged, so a test can fail each read the library
// makes in turn.
// FakeHost fills it while it builds the machine; the library reads it through HostPaths::view().
class FakeKernelView : public KernelView {
 public:
  explicit FakeKernelView(std::filesystem::path root);

  Expected<FileIdentity> stat(const std::string& path) const override;
  Expected<std::string> read_link(const std::string& path) const override;
  Expected<std::vector<std::string>> list(const std::string& dir) const override;
  Expected<std::vector<DirEntry>> list_entries(const std::string& dir) const override;
  Expected<std::string> read(const std::string& path) const override;
  Expected<unsigned> mount_id(const std::string& path) const override;
  Expected<std::vector<OpenFile>> open_files(const std::string& fd_dir) const override;
  Expected<std::unique_ptr<KernelHold>> claim_block_device(const std::string& node, DevNumber rdev) const override;
  Expected<std::unique_ptr<NamespaceVisit>> visit_mount_namespace(
      const std::string& nsfs_file, std::chrono::steady_clock::time_point deadline) const override;
  Expected<FileIdentity> loop_backing(const std::string& node, DevNumber rdev) const override;
  // ns_file: a /proc/PID/ns/net or nsfs file of the tree (a symlink to "net:[ID]"), "" the hook's own.
  Expected<std::unique_ptr<NetworkNamespaceReader>> open_network_namespace(const std::string& ns_file) const override;

  // ---- Reads that fail, and the log of every call ---------------------------------------------
  // Calls are named "OP PATH" with the path as the host names it: "stat /proc/812/fd/3",
  // "readlink ...", "list ...", "read ...", "loop /dev/loop0", "netns /proc/812/ns/net" (entering),
  // "netlink NS TYPE" (NS the ns_file, TYPE 18 links, 22 addresses, 26 routes, 106 nexthops),
  // "packet NS", "list_entries ...", "mountid ...", "claim /dev/vda", "visit NSFS_FILE".
  void fail_call(const std::string& call, int error) { call_faults_[call] = error; }
  void clear_call_faults() { call_faults_.clear(); }
  void record_calls(bool on);
  // Those made in a child the library forked too (a detached read), which note them in a file.
  const std::vector<std::string>& calls() const;
  // The errno injected for `call`, if any; logs the call.
  std::optional<int> fault(const std::string& op, const std::string& path) const;

  FakeNetwork& network() { return network_; }
  const FakeNetwork& network() const { return network_; }

  // ---- What FakeHost tells it (paths are the fake tree's absolute paths) ----------------------
  // Everything below `dir` is on the filesystem `device`, mount `mount_id` (the longest registered
  // prefix wins).
  void add_filesystem(const std::filesystem::path& dir, DevNumber device, unsigned mount_id);
  void remove_filesystem(const std::filesystem::path& dir);
  // `path` is a device node.
  void add_node(const std::filesystem::path& path, FileIdentity::Type type, DevNumber rdev);
  // A /proc magic link (fd/N, cwd, root): stat gives `identity`, readlink gives `shown`, mount_id
  // `mount` when given (a mount in no table), else the mount of where the link leads.
  void add_magic_link(const std::filesystem::path& link, const FileIdentity& identity, std::string shown,
                      std::optional<unsigned> mount = std::nullopt);
  void add_loop(const std::filesystem::path& node, Expected<FileIdentity> backing);
  // list/stat/readlink/read/mount_id of `path` fail with `code`.
  void deny(const std::filesystem::path& path, int code = EACCES);
  // Only stat of `path` fails with `code`; only mount_id of `path` does.
  void fail_stat(const std::filesystem::path& path, int code) { stat_failures_[path.string()] = code; }
  void fail_mount_id(const std::filesystem::path& path, int code) { mount_id_failures_[path.string()] = code; }
  // stat, loop_backing and read of `path` never return (a FUSE daemon that stopped answering) when asked
  // in a child that can be abandoned; asked by the process that made the host, they fail with EIO
  // and are noted instead (asked_in_process), so that a test sees it rather than hanging.
  void hang(const std::filesystem::path& path);
  std::vector<std::string> asked_in_process() const;
  // The kernel holds the block device `device` exclusively once more (a mount, dm/md, swap), or
  // once less.
  void hold(DevNumber device);
  void unhold(DevNumber device);
  // `partition` is a partition of the whole disk `disk`.
  void add_partition(DevNumber partition, DevNumber disk);
  // The block devices we hold open with O_EXCL now.
  std::multiset<DevNumber> claimed() const { return *claimed_; }
  // The nsfs file `file` keeps a mount namespace: a visit calls `enter`, which makes a process in
  // it and returns its pid, and `leave` with that pid when the visit ends. `error` fails visits.
  void add_namespace_file(const std::filesystem::path& file, std::function<int()> enter,
                          std::function<void(int)> leave);
  void fail_namespace_visits(int error) { visit_error_ = error; }
  // The tree changed under the cached answers (a root or working directory moved).
  void changed() {
    resolved_.clear();
    mounts_resolved_.clear();
  }
  // Strips this prefix from readlink answers (a namespace's view of its own root).
  void add_view_root(const std::filesystem::path& dir);
  // The identity stat(2) would give `path` now, following the tree's symlinks.
  Expected<FileIdentity> resolve(const std::filesystem::path& path) const;
  // How many times `dir` was listed: /proc is listed once per scan of the processes.
  int times_listed(const std::filesystem::path& dir) const;

 private:
  std::filesystem::path root_;
  int owner_pid_ = 0;
  struct Mounted {
    DevNumber device;
    unsigned id = 0;
  };
  struct NamespaceFile {
    std::function<int()> enter;
    std::function<void(int)> leave;
  };
  // The filesystem `canonical` is on.
  std::optional<Mounted> mounted_at(const std::filesystem::path& canonical) const;
  // Whether an O_EXCL open of `device` fails: bd_may_claim's rules over the kernel's holds and ours.
  bool busy(DevNumber device) const;
  // The fault injected for `op` on `key` (fault()), else the errno deny() gave `key`.
  Expected<void> denied(const char* op, const std::string& key) const;
  // A question about a path that never answers: hangs (in a child) or fails and is noted.
  Expected<FileIdentity> hang_on(const std::string& key) const;

  std::unordered_map<std::string, FileIdentity> magic_;
  std::unordered_map<std::string, std::string> shown_;
  std::map<std::string, FileIdentity> nodes_;
  std::map<std::string, Mounted> filesystems_;
  std::map<std::string, Expected<FileIdentity>> loops_;
  std::unordered_map<std::string, int> denied_;
  std::unordered_map<std::string, int> stat_failures_;
  std::unordered_map<std::string, int> mount_id_failures_;
  std::unordered_map<std::string, unsigned> magic_mounts_;
  std::set<std::string> hanging_;
  std::multiset<DevNumber> held_;
  std::map<DevNumber, DevNumber> disk_of_;
  std::shared_ptr<std::multiset<DevNumber>> claimed_ = std::make_shared<std::multiset<DevNumber>>();
  std::map<std::string, NamespaceFile> namespace_files_;
  int visit_error_ = 0;
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
  mutable std::unordered_map<std::string, Expected<unsigned>> mounts_resolved_;
};

}  // namespace vfiohooks::testing
