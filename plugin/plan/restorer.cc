// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/plan/restorer.h"

#include <algorithm>

#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/writes/device_write.h"
#include "plugin/writes/driver_override.h"

namespace vfiohooks {

namespace {

std::string driver_name(const std::string& driver) { return driver.empty() ? "no driver" : driver; }

Expected<void> step(Expected<void> result, const std::string& what) {
  if (!result) return fail(what + ": " + result.error().message, result.error().code);
  return {};
}

// The device's driver_override, as read beforehand for a whole run (`known`) or read now.
Expected<std::string> override_of(Host& host, const PciDevice& device, const OverrideReads* known) {
  if (known) {
    if (auto read = known->find(device.address); read != known->end()) return read->second;
  }
  return read_driver_override(host.paths, device, host.unbind_timeout);
}

Expected<void> restore_one(Host& host, StateStore& store, const Record& held, const OverrideReads* known) {
  Record record = held;
  const std::string address = record.address.str();
  auto current = read_pci_device(host.paths, record.address);
  if (!current) {
    // A removed device loses its driver_override; when it comes back the kernel probes it afresh.
    host.log.warning(address + " of domain " + record.domain + " is gone from the host; its record is dropped");
    return store.remove(record.address);
  }
  // Every write below would wait behind the blocked one, uninterruptibly.
  if (current->blocked_write) return fail(describe(*current->blocked_write), EBUSY);
  // So would reading driver_override, when something else holds the lock.
  const auto override_now = override_of(host, *current, known);
  if (!override_now) return fail(override_now.error().message, override_now.error().code);
  if (current->driver == record.original_driver && *override_now == record.original_override) {
    return store.remove(record.address);  // already as it was: an interrupted bind or restore
  }
  const bool on_vfio = current->driver == kVfioPci;
  // An unbound device is ours to finish (a probe that bound nothing, a crash after the unbind, an
  // unbind that finished after we gave up on it); only another driver means someone else took it.
  if (!on_vfio && current->is_bound() && current->driver != record.original_driver) {
    host.log.warning(address + " is on " + driver_name(current->driver) + ", not vfio-pci; someone rebound it, "
                     "so it is left there");
    return store.remove(record.address);
  }
  record.blocked_write.reset();
  const auto write = [&](const std::filesystem::path& attribute, std::string_view value, const std::string& what) {
    return write_device_attribute(host, store, record, attribute, value, what);
  };

  // Each write takes the device's lock in the kernel, so each is time-limited.
  // 1. Leave vfio-pci. This blocks while QEMU still has the device open.
  if (on_vfio) {
    auto unbound = write(host.paths.pci_driver(kVfioPci) / "unbind", address, "unbind from vfio-pci");
    if (auto result = step(std::move(unbound), "unbinding from vfio-pci"); !result) return result;
  }
  // 2. The original driver_override; FACTS: an empty string or a newline clears it.
  const std::string override_value = record.original_override.empty() ? "\n" : record.original_override;
  if (auto result = step(write(host.paths.pci_device(record.address) / "driver_override", override_value,
                               "write of driver_override"),
                         "writing driver_override");
      !result) {
    return result;
  }
  // 3. The original driver, through its own bind file; a device that had none stays unbound.
  if (!record.original_driver.empty() && (on_vfio || current->driver != record.original_driver)) {
    const auto driver_dir = host.paths.pci_driver(record.original_driver);
    if (!path_exists(driver_dir)) (void)host.kernel.load_module(record.original_driver);
    auto bound = write(driver_dir / "bind", address, "bind to " + record.original_driver);
    if (!bound && record.blocked_write) return step(std::move(bound), "binding " + record.original_driver);
    // drivers_probe succeeds even when nothing binds (FACTS), so step 4 decides.
    if (!bound) {
      auto probed = write(host.paths.drivers_probe(), address, "probe");
      if (!probed && record.blocked_write) return step(std::move(probed), "probing");
    }
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

}  // namespace

Expected<void> restore_device(Host& host, StateStore& store, const Record& record) {
  return restore_one(host, store, record, nullptr);
}

std::vector<Finding> restore_devices(Host& host, StateStore& store, std::vector<Record> records) {
  std::sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.address > b.address; });
  // Every driver_override in one reader child (plugin/writes/driver_override.h), not one per device.
  std::vector<PciDevice> present;
  for (const auto& record : records) {
    if (auto device = read_pci_device(host.paths, record.address)) present.push_back(std::move(*device));
  }
  const OverrideReads overrides = read_driver_overrides(host.paths, present, host.unbind_timeout);
  std::vector<Finding> failures;
  for (const auto& record : records) {
    if (auto restored = restore_one(host, store, record, &overrides); !restored) {
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
