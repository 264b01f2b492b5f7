// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/domain_devices.h"

#include <algorithm>

#include "plugin/plan/hostdev_pool.h"
#include "xml/domain_reader.h"
#include "xml/network_reader.h"

namespace vfiohooks::vfioctl {

Expected<DomainXml> read_domain(const Connection& connection, const std::string& name) {
  auto domain = connection.domain(name);
  if (!domain) return tl::unexpected(domain.error());
  DomainXml result;
  result.name = domain->name();
  result.active = domain->is_active();
  auto xml = domain->xml(!result.active);
  if (!xml) return tl::unexpected(xml.error());
  result.xml = std::move(*xml);
  return result;
}

std::map<PciAddress, std::vector<std::string>> domain_assignments(const Connection& connection) {
  std::map<PciAddress, std::vector<std::string>> assigned;
  auto domains = connection.all_domains();
  if (!domains) return assigned;
  for (const auto& domain : *domains) {
    for (bool inactive : {true, false}) {
      if (!inactive && !domain.is_active()) continue;
      auto xml = domain.xml(inactive);
      if (!xml) continue;
      auto request = read_domain_xml(*xml);
      if (!request) continue;
      for (const auto& device : request->devices) {
        auto& names = assigned[device.address];
        if (std::find(names.begin(), names.end(), domain.name()) == names.end()) names.push_back(domain.name());
      }
    }
  }
  return assigned;
}

std::map<PciAddress, std::vector<std::string>> pool_memberships(const Connection& connection, HostSnapshot& host) {
  std::map<PciAddress, std::vector<std::string>> pools;
  auto names = connection.network_names();
  if (!names) return pools;
  for (const auto& name : *names) {
    auto network = connection.network(name);
    if (!network || !*network) continue;
    auto pool = read_hostdev_network((*network)->first);
    if (!pool || !*pool) continue;
    for (const auto& address : pool_devices(host, **pool)) pools[address].push_back(name);
  }
  return pools;
}

}  // namespace vfiohooks::vfioctl
