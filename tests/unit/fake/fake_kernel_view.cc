// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/fake/fake_kernel_view.h"

#include <linux/netlink.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <thread>

#include <sys/stat.h>

namespace vfiohooks::testing {

namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> os_error(const std::string& path, int code) {
  return fail(path + ": " + std::strerror(code), code);
}

class FakeClaim : public KernelHold {
 public:
  FakeClaim(std::shared_ptr<std::multiset<DevNumber>> claimed, DevNumber device)
      : claimed_(std::move(claimed)), device_(device) {
    claimed_->insert(device_);
  }
  ~FakeClaim() override { claimed_->erase(claimed_->find(device_)); }

 private:
  std::shared_ptr<std::multiset<DevNumber>> claimed_;
  DevNumber device_;
};

class FakeVisit : public NamespaceVisit {
 public:
  FakeVisit(int pid, std::function<void(int)> leave) : pid_(pid), leave_(std::move(leave)) {}
  ~FakeVisit() override { leave_(pid_); }
  int pid() const override { return pid_; }

 private:
  int pid_;
  std::function<void(int)> leave_;
};

// A network namespace of the fake: its tables are read when asked, so later changes show.
class FakeNetworkNamespace : public NetworkNamespaceReader {
 public:
  FakeNetworkNamespace(const FakeKernelView& view, std::string file, std::string id)
      : view_(view), file_(std::move(file)), id_(std::move(id)) {}
  Expected<std::string> exchange(std::string_view request) override {
    nlmsghdr header{};
    if (request.size() >= sizeof header) std::memcpy(&header, request.data(), sizeof header);
    if (const auto error = view_.fault("netlink", file_ + " " + std::to_string(header.nlmsg_type))) {
      return os_error("rtnetlink", *error);
    }
    return view_.network().answer(id_, request);
  }
  Expected<std::string> packet_sockets() override {
    if (const auto error = view_.fault("packet", file_)) return os_error("/proc/net/packet", *error);
    return view_.network().packet_table(id_);
  }

 private:
  const FakeKernelView& view_;
  std::string file_, id_;
};

}  // namespace

FakeKernelView::FakeKernelView(fs::path root) : root_(std::move(root)), owner_pid_(::getpid()) {}

Expected<FileIdentity> FakeKernelView::hang_on(const std::string& key) const {
  if (::getpid() != owner_pid_) {
    for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
  }
  std::ofstream(root_ / ".fake-kernel-asked-in-process", std::ios::app) << key << '\n';
  return os_error(key, EIO);
}

std::vector<std::string> FakeKernelView::asked_in_process() const {
  std::vector<std::string> asked;
  std::ifstream in(root_ / ".fake-kernel-asked-in-process");
  for (std::string line; std::getline(in, line);) asked.push_back(line);
  return asked;
}

void FakeKernelView::record_calls(bool on) {
  recording_ = on;
  calls_.clear();
  std::filesystem::remove(root_ / ".fake-kernel-calls-in-children");
}

const std::vector<std::string>& FakeKernelView::calls() const {
  const fs::path noted = root_ / ".fake-kernel-calls-in-children";
  std::ifstream in(noted);
  for (std::string line; std::getline(in, line);) calls_.push_back(line);
  std::filesystem::remove(noted);
  return calls_;
}

std::optional<int> FakeKernelView::fault(const std::string& op, const std::string& path) const {
  if (!recording_ && call_faults_.empty()) return std::nullopt;  // the common case, without a string built
  std::string shown = path;
  if (shown.starts_with(root_.string() + "/")) shown = shown.substr(root_.string().size());
  const std::string call = op + " " + shown;
  if (recording_ && ::getpid() == owner_pid_) {
    calls_.push_back(call);
  } else if (recording_) {
    std::ofstream(root_ / ".fake-kernel-calls-in-children", std::ios::app) << call << '\n';
  }
  if (call_faults_.empty()) return std::nullopt;
  const auto found = call_faults_.find(call);
  if (found == call_faults_.end()) return std::nullopt;
  return found->second;
}

Expected<std::unique_ptr<NetworkNamespaceReader>> FakeKernelView::open_network_namespace(
    const std::string& ns_file) const {
  if (const auto error = fault("netns", ns_file)) return os_error(ns_file, *error);
  std::string id = network_.host_id();
  if (!ns_file.empty()) {
    // The tree has /proc/PID/ns/net and nsfs mount points as symlinks to "net:[ID]".
    std::error_code error;
    const fs::path target = fs::read_symlink(ns_file, error);
    if (error) return os_error(ns_file, error.value());
    id = target.string();
  }
  if (network_.by_id(id) == nullptr) return os_error(ns_file, ENOENT);
  std::string shown = ns_file;
  if (shown.starts_with(root_.string() + "/")) shown = shown.substr(root_.string().size());
  return std::make_unique<FakeNetworkNamespace>(*this, shown, id);
}

void FakeKernelView::add_filesystem(const fs::path& dir, DevNumber device, unsigned mount_id) {
  filesystems_[dir.string()] = {device, mount_id};
  changed();
}
void FakeKernelView::remove_filesystem(const fs::path& dir) {
  filesystems_.erase(dir.string());
  changed();
}

void FakeKernelView::add_node(const fs::path& path, FileIdentity::Type type, DevNumber rdev) {
  FileIdentity id;
  id.type = type;
  id.rdev = rdev;
  id.device = {0, 6};  // devtmpfs
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) id.inode = st.st_ino;
  nodes_[fs::weakly_canonical(path).string()] = id;
  resolved_.clear();
}

void FakeKernelView::add_magic_link(const fs::path& link, const FileIdentity& identity, std::string shown,
                                    std::optional<unsigned> mount) {
  magic_[link.string()] = identity;
  shown_[link.string()] = std::move(shown);
  // Where it leads, as the kernel keeps it in the open file: found once, not at each question.
  if (!mount) {
    std::error_code error;
    const fs::path target = fs::canonical(link, error);
    if (const auto mounted = error ? std::nullopt : mounted_at(target)) mount = mounted->id;
  }
  if (mount) magic_mounts_[link.string()] = *mount;
}

void FakeKernelView::add_loop(const fs::path& node, Expected<FileIdentity> backing) {
  loops_.insert_or_assign(fs::weakly_canonical(node).string(), std::move(backing));
}

void FakeKernelView::deny(const fs::path& path, int code) { denied_[path.string()] = code; }
void FakeKernelView::hang(const fs::path& path) { hanging_.insert(path.string()); }
void FakeKernelView::add_view_root(const fs::path& dir) { view_roots_.push_back(dir.string()); }
void FakeKernelView::hold(DevNumber device) { held_.insert(device); }
void FakeKernelView::unhold(DevNumber device) {
  if (const auto found = held_.find(device); found != held_.end()) held_.erase(found);
}
void FakeKernelView::add_partition(DevNumber partition, DevNumber disk) { disk_of_[partition] = disk; }

void FakeKernelView::add_namespace_file(const fs::path& file, std::function<int()> enter,
                                        std::function<void(int)> leave) {
  namespace_files_[fs::weakly_canonical(file).string()] = {std::move(enter), std::move(leave)};
}

Expected<void> FakeKernelView::denied(const char* op, const std::string& key) const {
  if (const auto error = fault(op, key)) return os_error(key, *error);
  if (denied_.empty()) return {};
  if (const auto found = denied_.find(key); found != denied_.end()) return os_error(key, found->second);
  return {};
}

std::optional<FakeKernelView::Mounted> FakeKernelView::mounted_at(const fs::path& canonical) const {
  for (fs::path at = canonical;; at = at.parent_path()) {
    if (const auto found = filesystems_.find(at.string()); found != filesystems_.end()) return found->second;
    if (at == at.parent_path() || at == root_.parent_path()) return std::nullopt;
  }
}

Expected<FileIdentity> FakeKernelView::resolve(const fs::path& path) const {
  std::error_code error;
  const fs::path canonical = fs::canonical(path, error);
  if (error) return os_error(path.string(), ENOENT);
  if (const auto node = nodes_.find(canonical.string()); node != nodes_.end()) return node->second;
  // FACTS: /dev/vfio/N is the char device the vfio module registers for group N.
  if (canonical.parent_path() == root_ / "dev" / "vfio" && canonical.filename() != "vfio") {
    FileIdentity group;
    group.type = FileIdentity::Type::char_device;
    group.rdev = {243, static_cast<unsigned>(std::stoul(canonical.filename().string()))};
    return group;
  }
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) return os_error(path.string(), errno);
  FileIdentity id;
  id.type = S_ISDIR(st.st_mode) ? FileIdentity::Type::directory : FileIdentity::Type::regular;
  id.inode = st.st_ino;
  id.device = {0, 1};
  if (const auto mounted = mounted_at(canonical)) id.device = mounted->device;
  return id;
}

Expected<FileIdentity> FakeKernelView::stat(const std::string& key) const {
  if (auto no = denied("stat", key); !no) return tl::unexpected(no.error());
  if (!hanging_.empty() && hanging_.contains(key)) return hang_on(key);
  if (const auto failure = stat_failures_.find(key); failure != stat_failures_.end())
    return os_error(key, failure->second);
  if (const auto magic = magic_.find(key); magic != magic_.end()) return magic->second;
  // The tree itself can change under a cached answer only through FakeHost, which builds the
  // machine before the library looks; /proc/PID/root and cwd are what repeats.
  if (!key.ends_with("/root") && !key.ends_with("/cwd")) return resolve(key);
  if (const auto known = resolved_.find(key); known != resolved_.end()) return known->second;
  return resolved_.emplace(key, resolve(key)).first->second;
}

Expected<std::string> FakeKernelView::read_link(const std::string& key) const {
  if (auto no = denied("readlink", key); !no) return tl::unexpected(no.error());
  if (const auto shown = shown_.find(key); shown != shown_.end()) return shown->second;
  std::error_code error;
  const fs::path target = fs::read_symlink(key, error);
  if (error) return os_error(key, error.value());
  std::string text = target.string();
  for (const auto& prefix : view_roots_) {
    if (text.starts_with(prefix + "/")) return text.substr(prefix.size());
    if (text == prefix) return std::string("/");
  }
  return text;
}

int FakeKernelView::times_listed(const fs::path& dir) const {
  const auto found = listed_.find(dir.string());
  return found == listed_.end() ? 0 : found->second;
}

Expected<std::vector<std::string>> FakeKernelView::list(const std::string& key) const {
  ++listed_[key];
  if (auto no = denied("list", key); !no) return tl::unexpected(no.error());
  return LinuxKernelView().list(key);  // the tree's own directories, as they are
}

Expected<std::vector<DirEntry>> FakeKernelView::list_entries(const std::string& key) const {
  if (auto no = denied("list_entries", key); !no) return tl::unexpected(no.error());
  return LinuxKernelView().list_entries(key);
}

Expected<std::string> FakeKernelView::read(const std::string& key) const {
  if (auto no = denied("read", key); !no) return tl::unexpected(no.error());
  if (!hanging_.empty() && hanging_.contains(key)) return tl::unexpected(hang_on(key).error());
  return LinuxKernelView().read(key);
}

Expected<unsigned> FakeKernelView::mount_id(const std::string& key) const {
  if (auto no = denied("mountid", key); !no) return tl::unexpected(no.error());
  if (const auto failure = mount_id_failures_.find(key); failure != mount_id_failures_.end()) {
    return os_error(key, failure->second);
  }
  if (const auto magic = magic_mounts_.find(key); magic != magic_mounts_.end()) return magic->second;
  // /proc/PID/root and cwd are asked once per process per scan: cached like stat's answers.
  if (const auto known = mounts_resolved_.find(key); known != mounts_resolved_.end()) return known->second;
  std::error_code error;
  const fs::path canonical = fs::canonical(key, error);
  const auto mounted = error ? std::nullopt : mounted_at(canonical);
  Expected<unsigned> id = error     ? os_error(key, ENOENT)
                          : mounted ? Expected<unsigned>(mounted->id)
                                    : os_error(key, ENODATA);
  return mounts_resolved_.emplace(key, std::move(id)).first->second;
}

Expected<std::vector<OpenFile>> FakeKernelView::open_files(const std::string& fd_dir) const {
  auto names = list(fd_dir);
  if (!names) return tl::unexpected(names.error());
  // FACTS (fs/proc/fd.c, proc_readfd_common): /proc/PID/fd lists the descriptors in ascending
  // order, whatever order the fake tree's directory lists them in.
  std::sort(names->begin(), names->end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  std::vector<OpenFile> files;
  for (auto& name : *names) {
    const std::string link = fd_dir + "/" + name;
    OpenFile file{std::move(name), std::nullopt, 0};
    // As the kernel's: a socket or pipe is no file of a filesystem (its link is not a path).
    if (const auto shown = read_link(link); !shown) {
      file.error = shown.error().code;
    } else if (shown->starts_with("/")) {
      if (auto mount = mount_id(link))
        file.mount = *mount;
      else
        file.error = mount.error().code;
    }
    files.push_back(std::move(file));
  }
  return files;
}

bool FakeKernelView::busy(DevNumber device) const {
  auto taken = [&](DevNumber d) { return held_.contains(d) || claimed_->contains(d); };
  if (taken(device)) return true;
  // FACTS (block/bdev.c, bd_may_claim): a partition is busy while its whole disk is claimed; a
  // whole disk while any of its partitions is.
  if (const auto disk = disk_of_.find(device); disk != disk_of_.end()) return taken(disk->second);
  for (const auto& [partition, disk] : disk_of_) {
    if (disk == device && taken(partition)) return true;
  }
  return false;
}

Expected<std::unique_ptr<KernelHold>> FakeKernelView::claim_block_device(const std::string& key, DevNumber rdev) const {
  if (auto no = denied("claim", key); !no) return tl::unexpected(no.error());
  const auto id = resolve(key);
  if (!id) return tl::unexpected(id.error());
  if (id->type != FileIdentity::Type::block_device || id->rdev != rdev) return os_error(key, ENODEV);
  if (busy(rdev)) return os_error(key, EBUSY);
  return std::make_unique<FakeClaim>(claimed_, rdev);
}

Expected<std::unique_ptr<NamespaceVisit>> FakeKernelView::visit_mount_namespace(
    const std::string& key, std::chrono::steady_clock::time_point) const {
  if (auto no = denied("visit", key); !no) return tl::unexpected(no.error());
  if (visit_error_ != 0) return os_error(key, visit_error_);
  std::error_code error;
  const fs::path canonical = fs::canonical(key, error);
  const auto found = error ? namespace_files_.end() : namespace_files_.find(canonical.string());
  if (found == namespace_files_.end()) return os_error(key, EINVAL);  // not an nsfs file
  return std::make_unique<FakeVisit>(found->second.enter(), found->second.leave);
}

Expected<FileIdentity> FakeKernelView::loop_backing(const std::string& key, DevNumber rdev) const {
  if (const auto error = fault("loop", key)) return os_error(key, *error);
  if (!hanging_.empty() && hanging_.contains(key)) return hang_on(key);
  const fs::path node(key);
  const auto id = resolve(node);
  if (!id) return tl::unexpected(id.error());
  if (id->type != FileIdentity::Type::block_device || id->rdev != rdev) return os_error(key, ENODEV);
  const auto found = loops_.find(fs::canonical(node).string());
  if (found == loops_.end()) return os_error(key, ENXIO);  // not bound
  return found->second;
}

}  // namespace vfiohooks::testing
