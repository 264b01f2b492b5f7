// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/base/libvirt_files.h"
#include "plugin/kernel/host_paths.h"

namespace vfiohooks {

// A network's definition as libvirt keeps it.
struct NetworkXml {
  std::string where;  // the file it came from ("/run/libvirt/network/NAME.xml") or "libvirt", for messages
  std::string xml;
  bool active = false;  // a running network's: only those have ports
};

// Where read_prepare_input finds the networks that a domain's <interface type='network'> name. The
// hook reads libvirt's own files (LibvirtNetworkFiles: a hook must not call libvirt); vfioctl may
// ask libvirt instead.
class NetworkSource {
 public:
  virtual ~NetworkSource() = default;
  // Network `name`'s definition; nullopt when there is none (libvirt then refuses the start itself).
  // Fails with one line when it is there but cannot be read (Error::code: the errno, if any).
  virtual Expected<std::optional<NetworkXml>> definition(const std::string& name) = 0;
  // The XML of each port of the active network `name`: what it has handed out to running domains.
  virtual Expected<std::vector<std::string>> ports(const std::string& name) = 0;
};

// libvirt's network driver's files under the host root (plugin/base/libvirt_files.h): the status
// file of an active network first, else its config; the ports of an active one.
class LibvirtNetworkFiles : public NetworkSource {
 public:
  explicit LibvirtNetworkFiles(HostPaths paths) : paths_(std::move(paths)) {}
  Expected<std::optional<NetworkXml>> definition(const std::string& name) override;
  Expected<std::vector<std::string>> ports(const std::string& name) override;

 private:
  HostPaths paths_;
};

}  // namespace vfiohooks
