// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/fake/fake_kernel_view.h"

#include <linux/netlink.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace vfiohooks::testing {

namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> os_error(const std::string& path, int code) {
  return fail(path + ": " + std::strerror(code), code);
}

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

std::optional<int> FakeKernelView::fault(const std::string& op, const std::string& path) const {
  std::string shown = path;
  if (shown.starts_with(root_.string() + "/")) shown = shown.substr(root_.string().size());
  const std::string call = op + " " + shown;
  if (recording_) calls_.push_back(call);
  if (call_faults_.empty()) return std::nullopt;
  const auto found = call_faults_.find(call);
  if (found == call_faults_.end()) return std::nullopt;
  return found->second;
}

Expected<std::string> FakeKernelView::read(const std::string& path) const {
  if (const auto error = fault("read", path)) return os_error(path, *error);
  if (!denied_.empty() && denied_.contains(path)) return os_error(path, EACCES);
  return LinuxKernelView().read(path);
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

void FakeKernelView::add_filesystem(const fs::path& dir, DevNumber device) {
  filesystems_[dir.string()] = device;
  resolved_.clear();
}
void FakeKernelView::remove_filesystem(const fs::path& dir) {
  filesystems_.erase(dir.string());
  resolved_.clear();
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

void FakeKernelView::add_magic_link(const fs::path& link, const FileIdentity& identity, std::string shown) {
  magic_[link.string()] = identity;
  shown_[link.string()] = std::move(shown);
}

void FakeKernelView::add_loop(const fs::path& node, Expected<FileIdentity> backing) {
  loops_.insert_or_assign(fs::weakly_canonical(node).string(), std::move(backing));
}

void FakeKernelView::deny(const fs::path& path) { denied_.insert(path.string()); }
void FakeKernelView::add_view_root(const fs::path& dir) { view_roots_.push_back(dir.string()); }

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
  for (fs::path at = canonical;; at = at.parent_path()) {
    if (const auto found = filesystems_.find(at.string()); found != filesystems_.end()) {
      id.device = found->second;
      break;
    }
    if (at == at.parent_path() || at == root_.parent_path()) break;
  }
  return id;
}

Expected<FileIdentity> FakeKernelView::stat(const std::string& key) const {
  if (const auto error = fault("stat", key)) return os_error(key, *error);
  if (!denied_.empty() && denied_.contains(key)) return os_error(key, EACCES);
  if (const auto magic = magic_.find(key); magic != magic_.end()) return magic->second;
  // The tree itself can change under a cached answer only through FakeHost, which builds the
  // machine before the library looks; /proc/PID/root and cwd are what repeats.
  if (!key.ends_with("/root") && !key.ends_with("/cwd")) return resolve(key);
  if (const auto known = resolved_.find(key); known != resolved_.end()) return known->second;
  return resolved_.emplace(key, resolve(key)).first->second;
}

Expected<std::string> FakeKernelView::read_link(const std::string& key) const {
  if (const auto error = fault("readlink", key)) return os_error(key, *error);
  if (!denied_.empty() && denied_.contains(key)) return os_error(key, EACCES);
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
  if (const auto error = fault("list", key)) return os_error(key, *error);
  if (!denied_.empty() && denied_.contains(key)) return os_error(key, EACCES);
  return LinuxKernelView().list(key);  // the tree's own directories, as they are
}

Expected<FileIdentity> FakeKernelView::loop_backing(const std::string& key, DevNumber rdev) const {
  if (const auto error = fault("loop", key)) return os_error(key, *error);
  const fs::path node(key);
  const auto id = resolve(node);
  if (!id) return tl::unexpected(id.error());
  if (id->type != FileIdentity::Type::block_device || id->rdev != rdev) return os_error(key, ENODEV);
  const auto found = loops_.find(fs::canonical(node).string());
  if (found == loops_.end()) return os_error(key, ENXIO);  // not bound
  return found->second;
}

}  // namespace vfiohooks::testing
