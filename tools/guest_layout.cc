// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/guest_layout.h"

#include <string>


namespace vfiohooks::vfioctl {

GuestSlotAllocator::GuestSlotAllocator(const std::vector<GuestPciAddress>& in_use) {
  for (const auto& address : in_use) {
    if (address.bus == 0) used_slots_.insert(address.slot);
  }
}

Expected<std::vector<GuestPciAddress>> GuestSlotAllocator::take_slot(std::size_t count) {
  if (count == 0 || count > 8) {
    return fail("a group of " + std::to_string(count) + " endpoints does not fit one guest slot (8 functions)");
  }
  for (unsigned slot = 3; slot < 0x1f; ++slot) {
    if (used_slots_.contains(slot)) continue;
    used_slots_.insert(slot);
    std::vector<GuestPciAddress> addresses;
    for (std::size_t function = 0; function < count; ++function) {
      addresses.push_back(GuestPciAddress{0, static_cast<std::uint8_t>(slot), static_cast<std::uint8_t>(function),
                                          function == 0 && count > 1});
    }
    return addresses;
  }
  return fail("guest bus 0 has no free slot for the group; give it a guest <address> by hand (virsh edit)");
}

}  // namespace vfiohooks::vfioctl
