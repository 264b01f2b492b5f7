// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

// The libvirt C API behind small RAII handles; every failure becomes an Error carrying libvirt's own
// message (libvirt's default printing to stderr is switched off, so errors stay one line).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "plugin/base/error.h"

namespace vfiohooks::vfioctl {

enum class Access { read_only, read_write };

class Domain;

// One connection (virConnectPtr), reference counted by libvirt: copies share it.
class Connection {
 public:
  // Opens `uri` (read-only for commands that change nothing). Fails with libvirt's message.
  static Expected<Connection> open(const std::string& uri, Access access);
  // Takes a new reference on `raw`.
  explicit Connection(virConnectPtr raw);
  Connection(const Connection& other);
  Connection(Connection&& other) noexcept;
  Connection& operator=(Connection other) noexcept;
  ~Connection();

  virConnectPtr get() const { return raw_; }
  // The domain named `name` (or with that UUID); fails naming it when there is none.
  Expected<Domain> domain(const std::string& name) const;
  // Defines (or redefines) a persistent domain from `xml` (virDomainDefineXML).
  Expected<Domain> define(const std::string& xml) const;
  // Every domain, defined or running.
  Expected<std::vector<Domain>> all_domains() const;
  // The XML (virNodeDeviceGetXMLDesc) of every PCI node device.
  Expected<std::vector<std::string>> pci_node_device_xmls() const;
  // Network `name`'s live definition (virNetworkGetXMLDesc) and whether it runs; nullopt when
  // libvirt has no such network.
  Expected<std::optional<std::pair<std::string, bool>>> network(const std::string& name) const;
  // The XML of each port of network `name` (virNetworkListAllPorts): what it handed out. Empty
  // when the driver keeps no ports (the test driver).
  Expected<std::vector<std::string>> network_ports(const std::string& name) const;
  // The names of every network, defined or running.
  Expected<std::vector<std::string>> network_names() const;

 private:
  virConnectPtr raw_ = nullptr;
};

// One domain handle (virDomainPtr).
class Domain {
 public:
  explicit Domain(virDomainPtr raw) : raw_(raw) {}  // takes ownership
  Domain(Domain&& other) noexcept;
  Domain& operator=(Domain&& other) noexcept;
  Domain(const Domain&) = delete;
  ~Domain();

  std::string name() const;
  bool is_active() const;
  // GetXMLDesc: the persistent definition when `inactive`, else the live one.
  Expected<std::string> xml(bool inactive) const;
  // virDomainAttachDeviceFlags / virDomainDetachDeviceFlags with VIR_DOMAIN_AFFECT_* `flags`.
  Expected<void> attach_device(const std::string& xml, unsigned flags) const;
  Expected<void> detach_device(const std::string& xml, unsigned flags) const;

 private:
  virDomainPtr raw_ = nullptr;
};

// libvirt's message for the last failure in this thread, prefixed with `what`.
Error libvirt_error(const std::string& what);

}  // namespace vfiohooks::vfioctl
