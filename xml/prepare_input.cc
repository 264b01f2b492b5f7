// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/prepare_input.h"

#include <algorithm>

#include "plugin/config/config_file.h"
#include "xml/domain_reader.h"
#include "xml/network_reader.h"

namespace vfiohooks {

namespace {

Finding network_finding(const std::string& network, const std::string& problem) {
  return {Severity::error, "network " + network, problem,
          "check libvirt's definition of the network (virsh net-dumpxml " + network + ")", "network-unreadable"};
}

// The hostdev pools among the networks the domain's interfaces name, each with how many of them
// draw from it and what its ports have handed out.
tl::expected<std::vector<HostdevPool>, Finding> read_pools(const std::vector<std::string>& names,
                                                           NetworkSource& networks) {
  std::vector<HostdevPool> pools;
  std::vector<std::string> seen;
  for (const auto& name : names) {
    const auto known = std::find(seen.begin(), seen.end(), name);
    if (known != seen.end()) {
      for (auto& pool : pools) pool.interfaces += pool.network == name;
      continue;
    }
    seen.push_back(name);
    auto definition = networks.definition(name);
    if (!definition)
      return tl::unexpected(network_finding(name, "cannot read its definition: " + definition.error().message));
    if (!*definition) continue;  // no such network: libvirt refuses the start itself
    auto pool = read_hostdev_network((*definition)->xml);
    if (!pool) {
      return tl::unexpected(network_finding(name, (*definition)->where + ": " + pool.error().message));
    }
    if (!*pool) continue;
    (*pool)->network = name;
    (*pool)->definition = (*definition)->where;
    (*pool)->interfaces = 1;
    if ((*definition)->active) {
      auto ports = networks.ports(name);
      if (!ports) return tl::unexpected(network_finding(name, "cannot read its ports: " + ports.error().message));
      for (const auto& port : *ports) {
        auto address = read_network_port(port);
        if (!address) return tl::unexpected(network_finding(name, "a port: " + address.error().message));
        if (*address) (*pool)->handed_out.push_back(**address);
      }
    }
    pools.push_back(std::move(**pool));
  }
  return pools;
}

}  // namespace

tl::expected<PrepareInput, Finding> read_prepare_input(std::string_view name, std::string_view xml,
                                                       NetworkSource& networks, const ConfigLocator& config_file) {
  auto request = read_domain_xml(xml);
  if (!request) {
    const std::string domain = name.empty() ? "(unreadable)" : std::string(name);
    return tl::unexpected(Finding{Severity::error, "domain " + domain, request.error().message,
                                  "fix the domain XML (virsh edit " + domain + ")", "domain-xml"});
  }
  PrepareInput input;
  if (!name.empty()) request->name = std::string(name);
  input.request = std::move(*request);
  auto pools = read_pools(input.request.networks, networks);
  if (pools) input.request.pools = std::move(*pools);
  // A domain without PCI hostdevs costs a process start and an XML parse: no config, no sysfs.
  if (input.request.devices.empty() && pools && input.request.pools.empty()) {
    input.skip = PrepareInput::Skip::no_pci_hostdev;
    return input;
  }
  Config config;
  if (const auto file = config_file()) {
    auto loaded = load_config(*file);
    if (!loaded) {
      return tl::unexpected(Finding{Severity::error, "config", loaded.error().message,
                                    "correct " + file->string() + " (man vfio-hooks.conf)", "config"});
    }
    config = std::move(*loaded);
  }
  input.policy = config.policy_for(input.request.name, input.request.metadata);
  if (input.policy.mode == Mode::off) {
    input.skip = PrepareInput::Skip::mode_off;
    return input;
  }
  // A network that cannot be read refuses the start, unless vfio-hooks is off for the domain.
  if (!pools) return tl::unexpected(pools.error());
  return input;
}

}  // namespace vfiohooks
