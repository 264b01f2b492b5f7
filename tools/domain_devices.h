// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/guard/host_snapshot.h"
#include "plugin/records/pci_address.h"
#include "tools/libvirt_client.h"

namespace vfiohooks::vfioctl {

// A domain's XML as the hook would see it at its next start: the live XML while it runs, else the
// persistent definition.
struct DomainXml {
  std::string name;
  bool active = false;
  std::string xml;
};

// Reads domain `name` through `connection`. Fails with one line when there is no such domain.
Expected<DomainXml> read_domain(const Connection& connection, const std::string& name);

// Which domains' XML (persistent or live) assign each PCI address, for `list` and `show`.
// Domains whose XML the reader refuses are skipped.
std::map<PciAddress, std::vector<std::string>> domain_assignments(const Connection& connection);

// Which hostdev networks (<forward mode='hostdev'>) may hand out each PCI address, as libvirt
// describes its networks (virNetworkGetXMLDesc) and `host` lists a PF's VFs, for `show`. Networks
// libvirt cannot describe are skipped.
std::map<PciAddress, std::vector<std::string>> pool_memberships(const Connection& connection, HostSnapshot& host);

}  // namespace vfiohooks::vfioctl
