// SPDX-License-Identifier: LGPL-2.1-or-later
// Node-device XML reader. Invariants: never crash; errors are one line; what it returns is in range.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/fuzz_check.h"
#include "xml/node_device_reader.h"

using namespace vfiohooks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto device = read_node_device_xml(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!device) {
    fuzz::check_one_line(device.error().message);
    return 0;
  }
  fuzz::check(!device->name.empty(), "a node device without a name");
  fuzz::check(device->address.slot <= 0x1f && device->address.function <= 7, "address out of range");
  for (const PciAddress& member : device->iommu_group_members) {
    fuzz::check(member.slot <= 0x1f && member.function <= 7, "member out of range");
  }
  if (device->class_code) fuzz::check(*device->class_code <= 0xffffff, "class out of range");
  return 0;
}
