// SPDX-License-Identifier: LGPL-2.1-or-later
// parse_pci_address. Invariants: never crash; errors are one line; whatever parses prints back, in
// both spellings, to text that parses to the same address.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugin/records/pci_address.h"
#include "tests/fuzz/fuzz_check.h"

using namespace vfiohooks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto address = parse_pci_address(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!address) {
    fuzz::check_one_line(address.error().message);
    return 0;
  }
  const auto again = parse_pci_address(address->str());
  fuzz::check(again.has_value() && *again == *address, "str() does not parse back:", address->str());
  const auto by_name = parse_pci_address(address->node_device_name());
  fuzz::check(by_name.has_value() && *by_name == *address, "node_device_name() does not parse back:",
              address->node_device_name());
  return 0;
}
