// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/restorer.h"

#include <algorithm>

#include "plugin/pci_device.h"
#include "plugin/sysfs_reader.h"
#include "plugin/time_limit.h"

namespace vfiohooks {

namespace {

std::string driver_name(const std::string& driver) { return driver.empty() ? "no driver" : driver; }

Expected<void> step(Expected<void> result, const std::string& what) {
  if (!result) return fail(what + ": " + result.error().message, result.error().code);
  return {};
}

}  // namespace

Expected<void> write_original_override(Host& host, const Record& record) {
  // FACTS: an empty string or a newline clears driver_override.
  const std::string value = record.original_override.empty() ? "\n" : record.original_override;
  return host.kernel.write_attribute(host.paths.pci_device(record.address) / "driver_override", value);
}

Expected<void> restore_device(Host& host, StateStore& store, const Record& record) {
  const std::string address = record.address.str();
  auto current = read_pci_device(host.paths, record.address);
  if (!current) {
    // A removed device loses its driver_override; when it comes back the kernel probes it afresh.
    host.log.warning(address + " of domain " + record.domain + " is gone from the host; its record is dropped");
    return store.remove(record.address);
  }
  if (current->driver == record.original_driver && current->driver_override == record.original_override) {
    return store.remove(record.address);  // already as it was: an interrupted bind or restore
  }
  const bool on_vfio = current->driver == kVfioPci;
  // An unbound device is ours to finish (a probe that bound nothing, a crash after the unbind);
  // only another driver means someone else took it.
  if (!on_vfio && current->is_bound() && current->driver != record.original_driver) {
    host.log.warning(address + " is on " + driver_name(current->driver) + ", not vfio-pci; someone rebound it, "
                     "so it is left there");
    return store.remove(record.address);
  }

  // 1. Leave vfio-pci. This blocks while QEMU still has the device open: time-limited.
  if (on_vfio) {
    auto unbound = write_with_time_limit(host.kernel, host.paths.pci_driver(kVfioPci) / "unbind", address,
                                         host.unbind_timeout);
    if (auto result = step(std::move(unbound), "unbinding from vfio-pci"); !result) return result;
  }
  // 2. The original driver_override.
  if (auto result = step(write_original_override(host, record), "writing driver_override"); !result) return result;
  // 3. The original driver, through its own bind file; a device that had none stays unbound.
  if (!record.original_driver.empty() && (on_vfio || current->driver != record.original_driver)) {
    const auto driver_dir = host.paths.pci_driver(record.original_driver);
    if (!path_exists(driver_dir)) (void)host.kernel.load_module(record.original_driver);
    auto bound = host.kernel.write_attribute(driver_dir / "bind", address);
    // drivers_probe succeeds even when nothing binds (FACTS), so step 4 decides.
    if (!bound) (void)host.kernel.write_attribute(host.paths.drivers_probe(), address);
  }
  // 4. Verify by re-reading the driver link.
  auto after = read_pci_device(host.paths, record.address);
  const std::string now = after ? after->driver : "";
  if (now != record.original_driver) {
    return fail("it ended on " + driver_name(now) + " instead of " + driver_name(record.original_driver), EIO);
  }
  host.log.info(address + " of domain " + record.domain + " restored to " + driver_name(record.original_driver));
  return store.remove(record.address);
}

std::vector<Finding> restore_devices(Host& host, StateStore& store, std::vector<Record> records) {
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.address > b.address; });
  std::vector<Finding> failures;
  for (const auto& record : records) {
    if (auto restored = restore_device(host, store, record); !restored) {
      host.log.error(record.address.str() + " of domain " + record.domain + " was not restored: " + restored.error().message);
      failures.push_back({Severity::error, record.address.str(),
                          "could not be restored to " + driver_name(record.original_driver) + ": " + restored.error().message,
                          "run vfioctl restore " + record.address.str() + " once whatever holds it lets go",
                          "restore-failed"});
    }
  }
  return failures;
}

}  // namespace vfiohooks
