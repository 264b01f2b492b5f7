// SPDX-License-Identifier: LGPL-2.1-or-later
// Domain XML reader and editor. Invariants: never crash; errors are one line; every PCI hostdev and
// hostdev interface the reader finds can be removed, leaving a domain that reads back with none but
// its NVMe disks, and added back again.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "xml/domain_reader.h"
#include "xml/hostdev_writer.h"

using namespace vfiohooks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const auto request = read_domain_xml(xml);
  if (!request) {
    fuzz::check_one_line(request.error().message);
    return 0;
  }

  std::vector<PciAddress> addresses;
  std::vector<HostdevSpec> specs;
  std::set<PciAddress> disks;  // an NVMe disk is a disk: vfioctl detach leaves it
  for (const RequestedDevice& device : request->devices) {
    if (device.kind == HostdevKind::nvme) {
      disks.insert(device.address);
      continue;
    }
    addresses.push_back(device.address);
    specs.push_back({.address = device.address, .managed = device.managed});
  }
  const auto removed = remove_hostdevs(xml, addresses);
  fuzz::check(removed.has_value(), "remove_hostdevs failed on a readable domain:",
              removed ? "" : removed.error().message);
  const auto emptied = read_domain_xml(*removed);
  fuzz::check(emptied.has_value(), "the domain no longer reads after remove_hostdevs:",
              emptied ? "" : emptied.error().message);
  std::set<PciAddress> left;
  for (const RequestedDevice& device : emptied->devices) left.insert(device.address);
  fuzz::check(left == disks, "remove_hostdevs left a device, or took an NVMe disk");
  fuzz::check(emptied->name == request->name, "remove_hostdevs changed the name");

  const auto added = add_hostdevs(*removed, specs);
  fuzz::check(added.has_value(), "add_hostdevs failed:", added ? "" : added.error().message);
  const auto back = read_domain_xml(*added);
  fuzz::check(back.has_value(), "the domain no longer reads after add_hostdevs:",
              back ? "" : back.error().message);
  std::set<PciAddress> before(addresses.begin(), addresses.end());
  before.insert(disks.begin(), disks.end());
  std::set<PciAddress> after;
  for (const RequestedDevice& device : back->devices) after.insert(device.address);
  fuzz::check(before == after, "add_hostdevs did not give back the same devices");
  return 0;
}
