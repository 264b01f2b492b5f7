// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/writes/driver_override.h"

#include <cerrno>

#include "plugin/writes/lock_taking_read.h"

namespace vfiohooks {

OverrideReads read_driver_overrides(const HostPaths& paths, const std::vector<PciDevice>& devices,
                                    std::chrono::milliseconds limit) {
  OverrideReads overrides;
  std::vector<PciAddress> to_read;
  for (const auto& device : devices) {
    if (device.blocked_write) overrides.emplace(device.address, fail(describe(*device.blocked_write), EBUSY));
    else to_read.push_back(device.address);
  }
  for (auto& [address, read] : read_lock_taking_attribute(paths, to_read, "driver_override", limit)) {
    if (read) {
      // The kernel shows "(null)" for none (pci-sysfs.c driver_override_show).
      overrides.emplace(address, read->value_or("(null)") == "(null)" ? "" : **read);
    } else if (read.error().code == ETIMEDOUT) {
      overrides.emplace(address, fail("its driver_override did not answer within " + std::to_string(limit.count()) +
                                          " ms: something holds the device's lock (a stuck unbind or "
                                          "remove)",
                                      ETIMEDOUT));
    } else {
      overrides.emplace(address, fail("cannot read its driver_override: " + read.error().message, read.error().code));
    }
  }
  return overrides;
}

Expected<std::string> read_driver_override(const HostPaths& paths, const PciDevice& device,
                                           std::chrono::milliseconds limit) {
  return read_driver_overrides(paths, {device}, limit).at(device.address);
}

}  // namespace vfiohooks
