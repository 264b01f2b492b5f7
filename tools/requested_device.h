// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include "plugin/plan/domain_request.h"

namespace vfiohooks::vfioctl {

// A <hostdev> request for `address` with no vfio metadata, as vfioctl builds them for plans.
inline RequestedDevice requested_device(const PciAddress& address, bool managed = true) {
  RequestedDevice device;
  device.address = address;
  device.managed = managed;
  return device;
}

}  // namespace vfiohooks::vfioctl
