// SPDX-License-Identifier: LGPL-2.1-or-later
// The front's prefilter against the full reader (differential). Invariant: the prefilter says "no
// PCI device" only when read_domain_xml finds none, so the front never lets a PCI assignment start
// without the engine's checks. (The other way round is allowed: in doubt it hands over.)
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "hooks/prefilter.h"
#include "tests/fuzz/fuzz_check.h"
#include "xml/domain_reader.h"

using namespace vfiohooks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  if (may_assign_pci_device(xml)) return 0;
  const auto request = read_domain_xml(xml);
  fuzz::check(!request || request->devices.empty(),
              "the prefilter said no PCI device, but the reader finds one at",
              request && !request->devices.empty() ? request->devices.front().address.str() : "");
  return 0;
}
