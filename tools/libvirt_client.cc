// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/libvirt_client.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <utility>

#include "plugin/base/printable.h"
#include "tools/echoed.h"

namespace vfiohooks::vfioctl {

namespace {

constexpr std::size_t kLongestLibvirtMessage = 240;

// libvirt prints every error to stderr unless an error function is set; we report them ourselves.
void silent(void*, virErrorPtr) {}

void silence_libvirt() {
  static const bool done = [] {
    virSetErrorFunc(nullptr, silent);
    return true;
  }();
  (void)done;
}

struct FreeString {
  void operator()(char* text) const { std::free(text); }
};

}  // namespace

Error libvirt_error(const std::string& what) {
  const char* message = virGetLastErrorMessage();
  std::string text = what;
  // libvirt's message may quote an argument (a URI) whole, or hold a newline.
  if (message != nullptr && *message != '\0') text += ": " + printable(message, kLongestLibvirtMessage);
  virResetLastError();
  return Error{std::move(text), 0};
}

// ---- Connection ------------------------------------------------------------------------------

Expected<Connection> Connection::open(const std::string& uri, Access access) {
  silence_libvirt();
  // test:///ABS/PATH.xml: libvirt's libxml2 would print its own "I/O warning" for a missing file
  // before failing; say it in one line instead.
  if (uri.starts_with("test:///") && uri != "test:///default" && ::access(uri.c_str() + 7, R_OK) != 0) {
    return fail("cannot connect to " + echoed(uri) + ": cannot read " + echoed(uri.substr(7)));
  }
  virConnectPtr raw = access == Access::read_only ? virConnectOpenReadOnly(uri.c_str()) : virConnectOpen(uri.c_str());
  if (raw == nullptr) return tl::unexpected(libvirt_error("cannot connect to " + echoed(uri)));
  Connection connection(raw);
  virConnectClose(raw);  // the Connection holds its own reference
  return connection;
}

Connection::Connection(virConnectPtr raw) : raw_(raw) {
  silence_libvirt();
  if (raw_ != nullptr) virConnectRef(raw_);
}

Connection::Connection(const Connection& other) : Connection(other.raw_) {}

Connection::Connection(Connection&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}

Connection& Connection::operator=(Connection other) noexcept {
  std::swap(raw_, other.raw_);
  return *this;
}

Connection::~Connection() {
  if (raw_ != nullptr) virConnectClose(raw_);
}

Expected<Domain> Connection::domain(const std::string& name) const {
  virDomainPtr raw = virDomainLookupByName(raw_, name.c_str());
  if (raw == nullptr) raw = virDomainLookupByUUIDString(raw_, name.c_str());
  if (raw == nullptr) {
    virResetLastError();
    return fail("no domain named '" + echoed(name) + "'");
  }
  return Domain(raw);
}

Expected<Domain> Connection::define(const std::string& xml) const {
  virDomainPtr raw = virDomainDefineXML(raw_, xml.c_str());
  if (raw == nullptr) return tl::unexpected(libvirt_error("libvirt refused the new definition"));
  return Domain(raw);
}

Expected<std::vector<Domain>> Connection::all_domains() const {
  virDomainPtr* raws = nullptr;
  const int count = virConnectListAllDomains(raw_, &raws, 0);
  if (count < 0) return tl::unexpected(libvirt_error("cannot list domains"));
  std::vector<Domain> domains;
  for (int i = 0; i < count; ++i) domains.emplace_back(raws[i]);
  std::free(raws);
  return domains;
}

Expected<std::vector<std::string>> Connection::pci_node_device_xmls() const {
  virNodeDevicePtr* devices = nullptr;
  const int count = virConnectListAllNodeDevices(raw_, &devices, VIR_CONNECT_LIST_NODE_DEVICES_CAP_PCI_DEV);
  if (count < 0) return tl::unexpected(libvirt_error("cannot list node devices"));
  std::vector<std::string> xmls;
  std::optional<Error> error;
  for (int i = 0; i < count; ++i) {
    // Every libvirt call resets its last error: take the name before the call that may fail.
    const std::string name = virNodeDeviceGetName(devices[i]);
    std::unique_ptr<char, FreeString> xml(virNodeDeviceGetXMLDesc(devices[i], 0));
    if (xml) {
      xmls.emplace_back(xml.get());
    } else if (!error) {
      error = libvirt_error("cannot read node device " + name);
    }
    virNodeDeviceFree(devices[i]);
  }
  std::free(devices);
  if (error) return tl::unexpected(*error);
  return xmls;
}

Expected<std::optional<std::pair<std::string, bool>>> Connection::network(const std::string& name) const {
  virNetworkPtr raw = virNetworkLookupByName(raw_, name.c_str());
  if (raw == nullptr) {
    if (virGetLastErrorCode() == VIR_ERR_NO_NETWORK) {
      virResetLastError();
      return std::nullopt;
    }
    return tl::unexpected(libvirt_error("cannot look up network " + name));
  }
  std::unique_ptr<char, FreeString> xml(virNetworkGetXMLDesc(raw, 0));
  std::optional<Error> error;
  if (!xml) error = libvirt_error("cannot read the XML of network " + name);
  const bool active = virNetworkIsActive(raw) == 1;
  virNetworkFree(raw);
  if (error) return tl::unexpected(*error);
  return std::pair<std::string, bool>(xml.get(), active);
}

Expected<std::vector<std::string>> Connection::network_ports(const std::string& name) const {
  std::vector<std::string> xmls;
  virNetworkPtr raw = virNetworkLookupByName(raw_, name.c_str());
  if (raw == nullptr) return tl::unexpected(libvirt_error("cannot look up network " + name));
  virNetworkPortPtr* ports = nullptr;
  const int count = virNetworkListAllPorts(raw, &ports, 0);
  if (count < 0) {
    const bool unsupported = virGetLastErrorCode() == VIR_ERR_NO_SUPPORT;
    auto error = libvirt_error("cannot list the ports of network " + name);
    virNetworkFree(raw);
    if (unsupported) return xmls;
    return tl::unexpected(error);
  }
  std::optional<Error> error;
  for (int i = 0; i < count; ++i) {
    std::unique_ptr<char, FreeString> xml(virNetworkPortGetXMLDesc(ports[i], 0));
    if (xml) {
      xmls.emplace_back(xml.get());
    } else if (!error) {
      error = libvirt_error("cannot read a port of network " + name);
    }
    virNetworkPortFree(ports[i]);
  }
  std::free(ports);
  virNetworkFree(raw);
  if (error) return tl::unexpected(*error);
  return xmls;
}

Expected<std::vector<std::string>> Connection::network_names() const {
  virNetworkPtr* raws = nullptr;
  const int count = virConnectListAllNetworks(raw_, &raws, 0);
  if (count < 0) return tl::unexpected(libvirt_error("cannot list networks"));
  std::vector<std::string> names;
  for (int i = 0; i < count; ++i) {
    if (const char* name = virNetworkGetName(raws[i])) names.emplace_back(name);
    virNetworkFree(raws[i]);
  }
  std::free(raws);
  return names;
}

// ---- Domain ----------------------------------------------------------------------------------

Domain::Domain(Domain&& other) noexcept : raw_(std::exchange(other.raw_, nullptr)) {}

Domain& Domain::operator=(Domain&& other) noexcept {
  std::swap(raw_, other.raw_);
  return *this;
}

Domain::~Domain() {
  if (raw_ != nullptr) virDomainFree(raw_);
}

std::string Domain::name() const {
  const char* name = virDomainGetName(raw_);
  return name != nullptr ? name : "";
}

bool Domain::is_active() const { return virDomainIsActive(raw_) == 1; }

// Each method takes the domain's name before the call that may fail: every libvirt call (even
// virDomainGetName) resets libvirt's last error, which libvirt_error() reports.
Expected<std::string> Domain::xml(bool inactive) const {
  const std::string domain = name();
  std::unique_ptr<char, FreeString> xml(virDomainGetXMLDesc(raw_, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  if (!xml) return tl::unexpected(libvirt_error("cannot read the XML of domain " + domain));
  return std::string(xml.get());
}

Expected<void> Domain::attach_device(const std::string& xml, unsigned flags) const {
  const std::string domain = name();
  if (virDomainAttachDeviceFlags(raw_, xml.c_str(), flags) < 0) {
    return tl::unexpected(libvirt_error("libvirt could not attach the device to " + domain));
  }
  return {};
}

Expected<void> Domain::detach_device(const std::string& xml, unsigned flags) const {
  const std::string domain = name();
  if (virDomainDetachDeviceFlags(raw_, xml.c_str(), flags) < 0) {
    return tl::unexpected(libvirt_error("libvirt could not detach the device from " + domain));
  }
  return {};
}

}  // namespace vfiohooks::vfioctl
