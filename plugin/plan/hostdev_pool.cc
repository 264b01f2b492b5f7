// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/plan/hostdev_pool.h"

#include <string>

#include "plugin/base/sysfs_reader.h"
#include "plugin/guard/host_snapshot.h"

namespace vfiohooks {

std::vector<PciAddress> pool_devices(HostSnapshot& host, const HostdevPool& pool) {
  if (!pool.devices.empty()) return pool.devices;
  // virNetDevGetVirtualFunctions lists a PF's VFs in virtfn order, which is address order: a VF's
  // routing ID is the PF's plus the VF offset plus its index times the VF stride (PCIe SR-IOV
  // 3.3.9-10), and PciDevice::virtfns is sorted.
  std::vector<PciAddress> vfs;
  for (const auto& pf : pool.pfs) {
    if (pf.empty() || pf == "." || pf == ".." || pf.find('/') != std::string::npos) continue;
    // /sys/class/net/IFNAME/device: the netdev's parent device (net-sysfs.c netdev_register_kobject).
    const auto name = link_name(host.paths().under("/sys/class/net/" + pf + "/device"));
    if (!name) continue;
    const auto address = parse_pci_address(*name);
    if (!address) continue;
    const auto& device = host.device(*address);
    if (device) vfs.insert(vfs.end(), device->virtfns.begin(), device->virtfns.end());
  }
  return vfs;
}

}  // namespace vfiohooks
