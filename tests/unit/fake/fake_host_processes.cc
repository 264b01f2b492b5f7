// SPDX-License-Identifier: LGPL-2.1-or-later
// FakeHost's /proc, mount namespaces and device numbers: what the host guard reads.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <sstream>

#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/fake_tree.h"

namespace vfiohooks::testing {

namespace fs = std::filesystem;
using tree::lines_of;
using tree::read_text;
using tree::write_text;

namespace {

// FACTS (include/linux/proc_ns.h): the initial PID namespace's fixed inode number, 0xEFFFFFFC.
constexpr const char* kInitPidNamespace = "pid:[4026531836]";
constexpr unsigned long kHostMountNamespace = 4026531841;

DevNumber dev_number(const std::string& text) {
  const auto number = parse_dev_number(text);
  if (!number) throw std::runtime_error("FakeHost: not a device number: " + text);
  return *number;
}

void symlink_to(const fs::path& link, const fs::path& target) {
  fs::create_directories(link.parent_path());
  std::error_code error;
  fs::remove(link, error);
  fs::create_symlink(target, link);
}

// `path` ("/run/live/medium") inside the directory a namespace sees as its root.
fs::path inside(const fs::path& view, const std::string& path) {
  const auto start = path.find_first_not_of('/');
  return start == std::string::npos ? view : view / path.substr(start);
}

}  // namespace

fs::path FakeHost::ns_view(const std::string& ns) const {
  return ns == "host" ? root_ : root_ / ".fake-kernel" / "ns" / ns / "view";
}

void FakeHost::start_processes() {
  write_text(root_ / ".fake-kernel" / "ns" / "host" / "id", "mnt:[" + std::to_string(kHostMountNamespace) + "]\n");
  for (const auto& [dev, point, type, options] :
       std::vector<std::array<std::string, 4>>{{"0:20", "/", "tmpfs", "rw"},
                                               {"0:21", "/sys", "sysfs", "rw"},
                                               {"0:22", "/proc", "proc", "rw"},
                                               {"0:24", "/run", "tmpfs", "rw,size=1612384k,mode=755"}}) {
    add_mount(dev, point, type, type, options);
  }
  add_process({.pid = 1, .comm = "systemd"});
  add_process({.pid = kHookPid, .comm = "vfio-hooks-qemu"});
  symlink_to(at("/proc/self"), std::to_string(kHookPid));
  view_->add_view_root(root_);
  // The hook runs as root with every capability (CAP_SYS_PTRACE included).
  write_text(at("/proc") / std::to_string(kHookPid) / "status", "Name:\tvfio-hooks-qemu\nCapEff:\t000001ffffffffff\n");
}

void FakeHost::write_mount_tables() {
  for (const auto& ns : namespaces_) {
    std::string table;
    for (const auto& m : mounts_) {
      if (m.ns != ns) continue;
      table += std::to_string(m.id) + " 1 " + m.dev + " " + m.root + " " + m.mount_point + " rw,relatime shared:1 - " +
               m.fs_type + " " + m.source + " " + m.options + "\n";
    }
    write_text(root_ / ".fake-kernel" / "ns" / ns / "mountinfo", table);
  }
  // FACTS: a chrooted process's mountinfo shows only the mounts under its root, relative to it.
  const fs::path hook_table = at("/proc") / std::to_string(kHookPid) / "mountinfo";
  if (hook_root_ == "/") {
    if (!fs::is_symlink(hook_table)) symlink_to(hook_table, root_ / ".fake-kernel" / "ns" / "host" / "mountinfo");
    return;
  }
  std::string table;
  for (const auto& m : mounts_) {
    if (m.ns != "host" || !(m.mount_point + "/").starts_with(hook_root_ + "/")) continue;
    const std::string inside = m.mount_point == hook_root_ ? "/" : m.mount_point.substr(hook_root_.size());
    table += std::to_string(m.id) + " 1 " + m.dev + " / " + inside + " rw - " + m.fs_type + " " + m.source + " " +
             m.options + "\n";
  }
  std::error_code error;
  fs::remove(hook_table, error);
  write_text(hook_table, table);
}

void FakeHost::add_mount(const std::string& dev, const std::string& mount_point, const std::string& fs_type,
                         const std::string& source, const std::string& options, const std::string& ns) {
  const unsigned id = next_mount_id_++;
  mounts_.push_back({ns, id, dev, mount_point, fs_type, source, options});
  if (fs_type == "overlay") {
    // The kernel refuses an overlay whose layer directories do not exist (plain names only here).
    std::istringstream each(options);
    for (std::string option; std::getline(each, option, ',');) {
      const auto equals = option.find('=');
      if (equals == std::string::npos) continue;
      const std::string key = option.substr(0, equals);
      if (key != "lowerdir" && key != "upperdir" && key != "workdir") continue;
      std::istringstream layers(option.substr(equals + 1));
      for (std::string layer; std::getline(layers, layer, ':');) {
        if (layer.starts_with("/")) fs::create_directories(inside(ns_view(ns), layer));
      }
    }
  }
  const fs::path dir = inside(ns_view(ns), mount_point);
  fs::create_directories(dir);
  view_->add_filesystem(dir, dev_number(dev), id);
  // FACTS: a mounted block device is claimed exclusively by its filesystem (mount_bdev).
  if (!dev_number(dev).is_anonymous()) view_->hold(dev_number(dev));
  write_mount_tables();
}

void FakeHost::umount(const std::string& mount_point, const std::string& ns) {
  const auto gone = std::find_if(mounts_.rbegin(), mounts_.rend(), [&](const FakeMount& m) {
    return m.ns == ns && m.mount_point == mount_point;
  });
  if (gone == mounts_.rend()) throw std::runtime_error("FakeHost: nothing mounted at " + mount_point);
  const std::string dev = gone->dev;
  mounts_.erase(std::next(gone).base());
  view_->remove_filesystem(inside(ns_view(ns), mount_point));
  if (!dev_number(dev).is_anonymous()) view_->unhold(dev_number(dev));
  write_mount_tables();
}

void FakeHost::add_swap_file(const std::string& path) {
  if (!fs::exists(at(path))) write_text(at(path), "");
  write_text(at("/proc/swaps"), read_text(at("/proc/swaps")) + path + "                               file\t\t1048572\t\t0\t\t-3\n");
}

void FakeHost::add_mount_namespace(const std::string& ns) {
  const unsigned long id = kHostMountNamespace + 400 + namespaces_.size();
  namespaces_.push_back(ns);
  write_text(root_ / ".fake-kernel" / "ns" / ns / "id", "mnt:[" + std::to_string(id) + "]\n");
  fs::create_directories(ns_view(ns));
  view_->add_view_root(ns_view(ns));
  // unshare -m: a copy of every mount, with new mount ids.
  const auto host = mounts_;
  for (const auto& m : host) {
    if (m.ns == "host") add_mount(m.dev, m.mount_point, m.fs_type, m.source, m.options, ns);
  }
  write_mount_tables();
}

void FakeHost::mknod_char(const std::string& ns, const std::string& path, const std::string& dev) {
  const fs::path node = inside(ns_view(ns), path);
  write_text(node, "");
  view_->add_node(node, FileIdentity::Type::char_device, dev_number(dev));
}

void FakeHost::link_magic(int pid, const std::string& name, const fs::path& target, const std::string& shown) {
  const fs::path link = at("/proc") / std::to_string(pid) / name;
  symlink_to(link, target);
  const auto identity = view_->resolve(link);
  if (!identity) throw std::runtime_error("FakeHost: " + identity.error().message);
  view_->add_magic_link(link, *identity, shown);
}

void FakeHost::add_process(const Process& process) {
  if (std::find(namespaces_.begin(), namespaces_.end(), process.ns) == namespaces_.end()) {
    throw std::runtime_error("FakeHost: no mount namespace " + process.ns);
  }
  const fs::path dir = at("/proc") / std::to_string(process.pid);
  write_text(dir / "comm", process.comm + "\n");
  write_text(dir / "cgroup", "0::" + process.cgroup + "\n");
  symlink_to(dir / "ns" / "mnt", lines_of(read_text(root_ / ".fake-kernel" / "ns" / process.ns / "id")).at(0));
  symlink_to(dir / "ns" / "pid", kInitPidNamespace);
  symlink_to(dir / "ns" / "net", view_->network().ns(process.net).id);
  process_nets_[process.pid] = process.net;
  if (!fs::exists(dir / "maps")) write_text(dir / "maps", "");
  symlink_to(dir / "mountinfo", root_ / ".fake-kernel" / "ns" / process.ns / "mountinfo");
  // root and cwd resolve as the tree is now; open files keep what they were opened as.
  const fs::path view = ns_view(process.ns);
  symlink_to(dir / "root", view);
  fs::create_directories(inside(view, process.cwd));
  symlink_to(dir / "cwd", inside(view, process.cwd));
  view_->changed();
  fs::create_directories(dir / "fd");
  for (std::size_t fd = 0; fd < process.open.size(); ++fd) {
    const fs::path target = inside(view, process.open[fd]);
    if (!fs::exists(target)) write_text(target, "");
    link_magic(process.pid, "fd/" + std::to_string(fd), target, process.open[fd]);
  }
}

void FakeHost::end_process(int pid) {
  fs::remove_all(at("/proc") / std::to_string(pid));
  view_->changed();
  end_network_namespace_of(pid);
}

void FakeHost::add_unmounted_file(int pid, const std::string& path, const std::string& dev) {
  const fs::path fds = at("/proc") / std::to_string(pid) / "fd";
  const std::string fd = std::to_string(100 + std::distance(fs::directory_iterator(fds), fs::directory_iterator()));
  const fs::path detached = root_ / ".fake-kernel" / "detached" / std::to_string(next_detached_++);
  write_text(detached, "");
  symlink_to(fds / fd, detached);
  FileIdentity identity;
  identity.type = FileIdentity::Type::regular;
  identity.device = dev_number(dev);
  identity.inode = next_detached_;
  view_->add_magic_link(fds / fd, identity, path, 9000 + next_detached_);  // its mount is in no table any more
}

void FakeHost::chroot_hook(const std::string& dir) {
  hook_root_ = dir;
  fs::create_directories(at(dir));
  symlink_to(at("/proc") / std::to_string(kHookPid) / "root", at(dir));
  view_->changed();
  write_mount_tables();
}

void FakeHost::add_kept_namespace(const std::string& ns, const std::string& file) {
  add_mount_namespace(ns);
  const std::string id = lines_of(read_text(root_ / ".fake-kernel" / "ns" / ns / "id")).at(0);
  write_text(at(file), "");
  // FACTS (fs/nsfs.c): the bind mount of /proc/PID/ns/mnt shows as nsfs, its root the namespace's id.
  const unsigned mount = next_mount_id_++;
  mounts_.push_back({"host", mount, "0:4", file, "nsfs", "nsfs", "rw", id});
  write_mount_tables();
  view_->add_namespace_file(
      at(file),
      [this, ns] {
        const int pid = next_visitor_++;
        add_process({.pid = pid, .comm = "vfio-hooks-engi", .ns = ns});
        return pid;
      },
      [this](int pid) { end_process(pid); });
}

void FakeHost::put_init_in_child_pid_namespace() { symlink_to(at("/proc/1/ns/pid"), "pid:[4026532500]"); }

void FakeHost::deny_open_files(int pid) { view_->deny(at("/proc") / std::to_string(pid) / "fd"); }

void FakeHost::fail_read(const std::string& path, int error) { view_->deny(at(path), error); }

void FakeHost::add_nvme_multipath(const std::string& address, const std::string& controller,
                                  const std::string& subsystem, const std::string& head, const std::string& dev) {
  // FACTS: the controller's own (hidden) path disk nvmeXcYnZ sits below it, with no node in /dev;
  // the subsystem's head disk, the one that is mounted, sits below the subsystem.
  const fs::path controller_dir = device_dir(address) / "nvme" / controller;
  symlink_to(at("/sys/class/nvme") / controller, controller_dir);
  const std::string path_disk = controller + "c0" + head.substr(head.find('n', 4));
  write_text(controller_dir / path_disk / "dev", "259:99\n");
  write_text(controller_dir / path_disk / "hidden", "1\n");
  fs::create_directories(controller_dir / path_disk / "holders");
  symlink_to(at("/sys/class/block") / path_disk, controller_dir / path_disk);
  const fs::path subsystem_dir = at("/sys/devices/virtual/nvme-subsystem") / subsystem;
  symlink_to(subsystem_dir / controller, controller_dir);
  symlink_to(at("/sys/class/nvme-subsystem") / subsystem, subsystem_dir);
  write_text(subsystem_dir / head / "dev", dev + "\n");
  write_text(subsystem_dir / head / "hidden", "0\n");
  fs::create_directories(subsystem_dir / head / "holders");
  symlink_to(at("/sys/class/block") / head, subsystem_dir / head);
  add_block_node(subsystem_dir / head, dev);
}

// ---- device numbers ----------------------------------------------------------------------------

void FakeHost::add_block_node(const fs::path& sysfs_dir, const std::string& dev) {
  const fs::path node = at("/dev") / sysfs_dir.filename();
  if (!fs::exists(node)) write_text(node, "");
  view_->add_node(node, FileIdentity::Type::block_device, dev_number(dev));
}

void FakeHost::add_char_device(const std::string& address, const std::string& subsystem, const std::string& subpath,
                               const std::string& dev, const std::string& node) {
  const fs::path dir = device_dir(address) / subpath;
  write_text(dir / "dev", dev + "\n");
  symlink_to(dir / "subsystem", at("/sys/class") / subsystem);
  symlink_to(at("/sys/class") / subsystem / dir.filename(), dir);
  // FACTS (drivers/base/core.c, device_create_sys_dev_entry): /sys/dev/char/MAJOR:MINOR, relative.
  symlink_to(at("/sys/dev/char") / dev, fs::path("../..") / fs::relative(dir, at("/sys")));
  if (!fs::exists(at(node))) write_text(at(node), "");
  view_->add_node(at(node), FileIdentity::Type::char_device, dev_number(dev));
}

void FakeHost::add_loop(const std::string& name, const std::string& dev, const std::string& file, int status_error) {
  const fs::path dir = at("/sys/devices/virtual/block") / name;
  write_text(dir / "dev", dev + "\n");
  write_text(dir / "loop" / "backing_file", file + "\n");
  fs::create_directories(dir / "holders");
  symlink_to(at("/sys/class/block") / name, dir);
  add_block_node(dir, dev);
  if (!fs::exists(at(file))) write_text(at(file), "");
  // FACTS: the loop device keeps the file it was given; LOOP_GET_STATUS64 reports its numbers.
  if (status_error != 0) {
    view_->add_loop(at("/dev") / name, fail("loop status", status_error));
  } else {
    view_->add_loop(at("/dev") / name, view_->resolve(at(file)));
  }
}

void FakeHost::add_btrfs(const std::string& uuid, const std::vector<std::string>& members) {
  for (const auto& member : members) {
    symlink_to(at("/sys/fs/btrfs") / uuid / "devices" / member, fs::canonical(at("/sys/class/block") / member));
  }
}

void FakeHost::add_nvidia_gpu(const std::string& address, unsigned minor) {
  write_text(at("/proc/driver/nvidia/gpus") / address / "information",
             "Model: \t\t NVIDIA GeForce RTX 3080\nIRQ:   \t\t 150\nDevice Minor: \t " + std::to_string(minor) + "\n");
  write_text(at("/proc/devices"), "Character devices:\n  1 mem\n195 nvidia-frontend\n226 drm\n\nBlock devices:\n  7 loop\n");
  const fs::path node = at("/dev") / ("nvidia" + std::to_string(minor));
  if (!fs::exists(node)) write_text(node, "");
  view_->add_node(node, FileIdentity::Type::char_device, {195, minor});
}

}  // namespace vfiohooks::testing
