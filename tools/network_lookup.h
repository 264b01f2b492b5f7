// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tools/context.h"
#include "xml/network_source.h"

namespace vfiohooks::vfioctl {

// The networks a domain's interfaces name, as vfioctl finds them: on this machine libvirt's own
// files under the host root, as the hook reads them (so `check` prints the hook's very lines), and
// libvirt (virNetworkGetXMLDesc, virNetworkListAllPorts) where those are not there to read: a
// remote or test:/// URI, or the root-only status files read by an ordinary user.
class NetworkLookup : public NetworkSource {
 public:
  explicit NetworkLookup(const Context& ctx);
  Expected<std::optional<NetworkXml>> definition(const std::string& name) override;
  Expected<std::vector<std::string>> ports(const std::string& name) override;

 private:
  Expected<Connection*> connection();

  const Context& ctx_;
  std::optional<LibvirtNetworkFiles> files_;  // set when the facts are this machine's
  std::optional<Connection> connection_;
  std::map<std::string, bool> from_libvirt_;  // which source answered for each network
};

}  // namespace vfiohooks::vfioctl
