// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/host_facts.h"

#include <stdlib.h>

#include <system_error>

#include "plugin/config/config_file.h"
#include "tools/connection_uri.h"
#include "tools/echoed.h"
#include "tools/node_device_snapshot.h"
#include "xml/node_device_reader.h"

namespace vfiohooks::vfioctl {

namespace fs = std::filesystem;

std::chrono::milliseconds HostFacts::guard_timeout() const {
  const auto config = load_config(paths_.config_file());
  return config ? config->defaults.guard_timeout : Policy{}.guard_timeout;
}

HostFacts HostFacts::local(HostPaths paths) { return HostFacts(std::move(paths)); }

Expected<HostFacts> HostFacts::from_libvirt(const Connection& connection, const fs::path& temp_dir,
                                            const std::string& uri) {
  auto xmls = connection.pci_node_device_xmls();
  if (!xmls) return tl::unexpected(xmls.error());
  std::vector<NodeDevice> devices;
  for (const auto& xml : *xmls) {
    auto device = read_node_device_xml(xml);
    if (!device) return fail("node device XML from " + echoed(uri) + ": " + device.error().message);
    devices.push_back(std::move(*device));
  }
  std::string pattern = (temp_dir / "vfioctl-facts.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return fail("cannot create a temp dir under " + temp_dir.string() + ": " + std::generic_category().message(errno));
  }
  HostFacts facts{HostPaths(pattern)};
  facts.owned_dir_ = pattern;
  facts.source_ = "node devices of " + echoed(uri);
  if (auto laid = write_node_device_snapshot(facts.paths_.root(), devices); !laid) return tl::unexpected(laid.error());
  for (const auto& device : devices) facts.names_[device.address] = {device.vendor_name, device.product_name};
  facts.unchecked_ = {
      "host-critical use (mounted filesystems, swap, routes, consoles) is not visible through libvirt",
      "interrupt remapping and vfio-pci availability are not reported by libvirt",
      "vfio-hooks' records (/run/vfio-hooks) on that host are not visible from here",
      "reset methods (reset_method, config space) are not reported by libvirt",
  };
  if (uri.starts_with("test:")) {
    facts.unchecked_.push_back("the test driver keeps no <driver> in node devices: every device reads as unbound");
  }
  return facts;
}

HostFacts::HostFacts(HostFacts&& other) noexcept
    : paths_(other.paths_),
      owned_dir_(std::exchange(other.owned_dir_, {})),
      source_(std::move(other.source_)),
      unchecked_(std::move(other.unchecked_)),
      names_(std::move(other.names_)) {}

HostFacts::~HostFacts() {
  if (owned_dir_.empty()) return;
  std::error_code ignored;
  fs::remove_all(owned_dir_, ignored);
}

std::string HostFacts::vendor_name(const PciAddress& address) const {
  auto it = names_.find(address);
  return it == names_.end() ? "" : it->second.first;
}

std::string HostFacts::product_name(const PciAddress& address) const {
  auto it = names_.find(address);
  return it == names_.end() ? "" : it->second.second;
}

StateStore::Contents HostFacts::records() const {
  if (!is_local()) return {};
  return StateStore(paths_.state_dir()).load();
}

bool facts_from_libvirt(const Context& ctx) {
  return !ctx.options.root_given && classify_uri(ctx.options.uri) != UriKind::local;
}

Expected<HostFacts> load_host_facts(const Context& ctx) {
  if (!facts_from_libvirt(ctx)) return HostFacts::local(ctx.paths);
  auto connection = ctx.connect(ctx.options.uri, Access::read_only);
  if (!connection) return tl::unexpected(connection.error());
  return HostFacts::from_libvirt(*connection, ctx.temp_dir, ctx.options.uri);
}

}  // namespace vfiohooks::vfioctl
