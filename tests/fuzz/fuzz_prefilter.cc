// SPDX-License-Identifier: LGPL-2.1-or-later
// The front's prefilter against the full reader (differential). Invariant: the prefilter says "no
// PCI device" only when read_domain_xml finds none and none of the networks its interfaces name is a
// hostdev pool (read_hostdev_network), so the front never lets a PCI assignment start without the
// engine's checks. (The other way round is allowed: in doubt it hands over.) The networks are a fixed
// set that both sides read, as both read libvirt's files on a host: the prefilter's byte check of a
// network definition against the reader's.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "hooks/prefilter.h"
#include "tests/fuzz/fuzz_check.h"
#include "xml/domain_reader.h"
#include "xml/network_reader.h"

using namespace vfiohooks;

namespace {

// The definition of network `name`, or an empty view when there is no such network. Names a fuzzer
// finds with the dictionary: pool (a listed hostdev pool), vfs (a running PF pool's status file),
// default (NAT), macvtap (passthrough on a PF), ref (a hostdev mode spelled with a reference).
std::string_view network(std::string_view name) {
  if (name == "pool") {
    return "<network><name>pool</name><forward mode='hostdev' managed='yes'><address type='pci' domain='0x0000' "
           "bus='0x03' slot='0x10' function='0x1'/></forward></network>";
  }
  if (name == "vfs") {
    return "<networkstatus><class_id bitmap='0-2'/><floor sum='0'/><network><name>vfs</name><forward "
           "mode='hostdev'><pf dev='enp3s0f0'/></forward></network></networkstatus>";
  }
  if (name == "default") return "<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/></network>";
  if (name == "macvtap")
    return "<network><name>macvtap</name><forward mode='passthrough'><pf dev='eth0'/></forward></network>";
  if (name == "ref")
    return "<network><name>ref</name><forward mode='h&#111;stdev'><pf dev='eth0'/></forward></network>";
  return {};
}

bool may_be_pool(std::string_view name, void*) {
  const std::string_view xml = network(name);
  return !xml.empty() && network_may_be_hostdev_pool(xml);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  if (may_assign_pci_device(xml, may_be_pool, nullptr)) return 0;
  const auto request = read_domain_xml(xml);
  if (!request) return 0;
  fuzz::check(request->devices.empty(), "the prefilter said no PCI device, but the reader finds one at",
              request->devices.empty() ? "" : request->devices.front().address.str());
  for (const auto& name : request->networks) {
    const std::string_view definition = network(name);
    if (definition.empty()) continue;
    const auto pool = read_hostdev_network(definition);
    fuzz::check(pool && !*pool, "the prefilter said no PCI device, but the domain draws from hostdev network", name);
  }
  return 0;
}
