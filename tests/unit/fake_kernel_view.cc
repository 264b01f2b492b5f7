#include "tests/unit/fake_kernel_view.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace vfiohooks::testing {

namespace fs = std::filesystem;

namespace {

tl::unexpected<Error> os_error(const fs::path& path, int code) {
  return fail(path.string() + ": " + std::strerror(code), code);
}

}  // namespace

void FakeKernelView::add_filesystem(const fs::path& dir, DevNumber device) { filesystems_[dir.string()] = device; }
void FakeKernelView::remove_filesystem(const fs::path& dir) { filesystems_.erase(dir.string()); }

void FakeKernelView::add_node(const fs::path& path, FileIdentity::Type type, DevNumber rdev) {
  FileIdentity id;
  id.type = type;
  id.rdev = rdev;
  id.device = {0, 6};  // devtmpfs
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) id.inode = st.st_ino;
  nodes_[fs::weakly_canonical(path).string()] = id;
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
  if (error) return os_error(path, ENOENT);
  if (const auto node = nodes_.find(canonical.string()); node != nodes_.end()) return node->second;
  // FACTS: /dev/vfio/N is the char device the vfio module registers for group N.
  if (canonical.parent_path() == root_ / "dev" / "vfio" && canonical.filename() != "vfio") {
    FileIdentity group;
    group.type = FileIdentity::Type::char_device;
    group.rdev = {243, static_cast<unsigned>(std::stoul(canonical.filename().string()))};
    return group;
  }
  struct stat st {};
  if (::stat(canonical.c_str(), &st) != 0) return os_error(path, errno);
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

Expected<FileIdentity> FakeKernelView::stat(const fs::path& path) const {
  if (denied_.contains(path.string())) return os_error(path, EACCES);
  if (const auto magic = magic_.find(path.string()); magic != magic_.end()) return magic->second;
  return resolve(path);
}

Expected<std::string> FakeKernelView::read_link(const fs::path& path) const {
  if (denied_.contains(path.string())) return os_error(path, EACCES);
  if (const auto shown = shown_.find(path.string()); shown != shown_.end()) return shown->second;
  std::error_code error;
  const fs::path target = fs::read_symlink(path, error);
  if (error) return os_error(path, error.value());
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

Expected<std::vector<std::string>> FakeKernelView::list(const fs::path& dir) const {
  ++listed_[dir.string()];
  if (denied_.contains(dir.string())) return os_error(dir, EACCES);
  std::vector<std::string> names;
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) return os_error(dir, error.value());
  for (fs::directory_iterator end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  return names;
}

Expected<FileIdentity> FakeKernelView::loop_backing(const fs::path& node, DevNumber rdev) const {
  const auto id = resolve(node);
  if (!id) return tl::unexpected(id.error());
  if (id->type != FileIdentity::Type::block_device || id->rdev != rdev) return os_error(node, ENODEV);
  const auto found = loops_.find(fs::canonical(node).string());
  if (found == loops_.end()) return os_error(node, ENXIO);  // not bound
  return found->second;
}

}  // namespace vfiohooks::testing
