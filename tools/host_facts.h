// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/guard/host_guard.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/kernel/host_paths.h"
#include "plugin/records/pci_address.h"
#include "plugin/records/state_store.h"
#include "tools/context.h"

namespace vfiohooks::vfioctl {

// Where vfioctl's device facts come from, as a host root the library reads: this machine's sysfs
// (under --root), or a remote/test host's node devices laid out in a temp dir. Every read-only
// command (list, show, check, attach's validation, --with-group) goes through this, so the same
// library code — make_plan included — decides for a local and a remote host.
class HostFacts {
 public:
  // This machine, under `paths`.
  static HostFacts local(HostPaths paths);
  // The host behind `connection`, from its PCI node devices (laid out under `temp_dir`).
  static Expected<HostFacts> from_libvirt(const Connection& connection, const std::filesystem::path& temp_dir,
                                          const std::string& uri);
  HostFacts(HostFacts&& other) noexcept;
  HostFacts& operator=(HostFacts&&) = delete;
  ~HostFacts();

  const HostPaths& paths() const { return paths_; }
  bool is_local() const { return owned_dir_.empty(); }
  // "local sysfs" or "node devices of URI", for messages.
  const std::string& source() const { return source_; }
  // The checks these facts cannot support, in the user's words; empty for local facts.
  const std::vector<std::string>& unchecked() const { return unchecked_; }
  // Names libvirt reported (remote); empty when unknown or local.
  std::string vendor_name(const PciAddress& address) const;
  std::string product_name(const PciAddress& address) const;
  // vfio-hooks' records on this host; none for a remote host (its /run is not visible from here).
  StateStore::Contents records() const;
  // Whether the host guard can see how this host uses its devices: not for a remote host (that
  // check is in unchecked()).
  HostGuard::Sight sight() const { return is_local() ? HostGuard::Sight::full : HostGuard::Sight::none; }
  // One look at the host for the plans of one command, stopping at the config's guard_timeout_ms.
  HostSnapshot snapshot(HostGuard::Lookup lookup = HostGuard::Lookup::per_device) const {
    return HostSnapshot(paths_, lookup, sight(), Deadline(guard_timeout()));
  }
  // guard_timeout_ms of the config file under the root (the default when it cannot be read).
  std::chrono::milliseconds guard_timeout() const;

 private:
  explicit HostFacts(HostPaths paths) : paths_(std::move(paths)) {}
  HostPaths paths_;
  std::filesystem::path owned_dir_;
  std::string source_ = "local sysfs";
  std::vector<std::string> unchecked_;
  std::map<PciAddress, std::pair<std::string, std::string>> names_;
};

// The facts a command should use: local sysfs under ctx.paths when --root was given or the URI is
// local; otherwise the node devices of the URI's host. Fails with one line when libvirt cannot be
// reached or its node devices cannot be read.
Expected<HostFacts> load_host_facts(const Context& ctx);

// True when facts for the context's URI must come from libvirt (test:/// or remote, no --root).
bool facts_from_libvirt(const Context& ctx);

}  // namespace vfiohooks::vfioctl
