// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "xml/hostdev_writer.h"

namespace vfiohooks::vfioctl {

// Places each group that `attach --with-group` adds on one guest PCI slot of its own, as one
// multifunction device: function 0 (multifunction='on'), then 1..7 in host address order — the
// layout a GPU and its HDMI audio have on real hardware, which guest drivers expect.
//
// The slot is on guest bus 0x00: every machine type has it (pci-root on pc, pcie-root on q35,
// where the group becomes an integrated endpoint, which libvirt accepts for hostdevs). Slots 0-2
// are skipped (host bridge, pc's PIIX3, primary video by convention) and so is 0x1f (q35's ICH9
// LPC/SATA/SMBus), as is every slot the domain's XML already uses on bus 0. libvirt cannot pick
// the slot for us here: it would spread the functions over separate slots.
class GuestSlotAllocator {
 public:
  // `in_use`: the guest addresses the domain's devices occupy (guest_pci_addresses()).
  explicit GuestSlotAllocator(const std::vector<GuestPciAddress>& in_use);
  // Guest addresses for `count` functions (1..8) in one free slot; fails when count > 8 or bus 0
  // has no free slot.
  Expected<std::vector<GuestPciAddress>> take_slot(std::size_t count);

 private:
  std::set<unsigned> used_slots_;  // on guest bus 0
};

}  // namespace vfiohooks::vfioctl
