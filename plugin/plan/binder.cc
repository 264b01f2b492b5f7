// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/plan/binder.h"

#include <cerrno>
#include <chrono>
#include <map>

#include "plugin/base/deadline.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/restorer.h"
#include "plugin/writes/device_write.h"
#include "plugin/writes/driver_override.h"

namespace vfiohooks {

namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class Binding {
 public:
  Binding(Host& host, StateStore& store, const std::string& domain, DiskClaims* claims)
      : host_(host), store_(store), domain_(domain), claims_(claims) {}

  std::vector<Finding> run(const std::vector<PlannedDevice>& devices) {
    if (auto unreadable = read_original_overrides(devices); !unreadable.empty()) return unreadable;
    for (const auto& planned : devices) {
      auto bound = bind_one(planned);
      if (bound) continue;
      const std::string address = planned.device.address.str();
      host_.log.error("binding " + address + " for domain " + domain_ + " failed: " + bound.error().message +
                      "; rolling back");
      std::vector<Finding> findings;
      if (!touched_.empty() && touched_.back().blocked_write) {
        findings.push_back(keep_blocked());
      } else if (bound.error().code == ECANCELED) {
        findings.push_back({Severity::error, address,
                            "was not bound: vfio-hooks was stopped by a signal (SIGTERM); all were given back",
                            "try again", "stopped"});
      } else {
        findings.push_back({Severity::error, address,
                            "could not be bound to vfio-pci (" + bound.error().message + "); all were given back",
                            "see dmesg, and vfioctl show " + address, "bind-failed"});
      }
      roll_back(findings);
      return findings;
    }
    return {};
  }

 private:
  // 0. What each device's driver_override is, before anything changes: it goes into the record, and
  // reading it waits for the device's lock, which something may hold for good. A device whose
  // override does not answer refuses the whole start, with nothing changed.
  std::vector<Finding> read_original_overrides(const std::vector<PlannedDevice>& devices) {
    std::vector<PciDevice> planned;
    for (const auto& p : devices) planned.push_back(p.device);
    std::vector<Finding> findings;
    for (auto& [address, read] : read_driver_overrides(host_.paths, planned, host_.unbind_timeout)) {
      if (read) {
        original_overrides_.emplace(address, *read);
        continue;
      }
      const std::string subject = address.str();
      if (read.error().code == ETIMEDOUT) {
        findings.push_back({Severity::error, subject, read.error().message + "; nothing was changed",
                            "release what the task in state D waits for (see dmesg), then try again",
                            "device-locked"});
      } else {
        findings.push_back({Severity::error, subject, "could not be bound to vfio-pci (" + read.error().message +
                                                          "); nothing was changed",
                            "see dmesg, and vfioctl show " + subject, "bind-failed"});
      }
    }
    return findings;
  }

  Expected<void> bind_one(const PlannedDevice& planned) {
    const PciDevice& device = planned.device;
    const std::string address = device.address.str();
    // A record of ours from an interrupted run keeps the driver the device had before that run.
    const auto previous = store_.find(device.address);
    if (previous && previous->domain == domain_ && previous->phase == Phase::bound && device.driver == kVfioPci) {
      return {};
    }
    Record record;
    record.address = device.address;
    record.domain = domain_;
    record.original_driver = previous && previous->domain == domain_ ? previous->original_driver : device.driver;
    record.original_override =
        previous && previous->domain == domain_ ? previous->original_override : original_overrides_.at(device.address);
    record.iommu_group = device.iommu_group;
    record.companion = planned.companion;
    record.since = now_seconds();

    if (auto stopped = check_stop(); !stopped) return stopped;
    // 1. The intent, durably, before anything changes: a crash from here on is recoverable.
    if (auto saved = store_.save(record); !saved) return fail("recording intent: " + saved.error().message);
    touched_.push_back(record);
    Record& current = touched_.back();
    // 2. vfio-pci must be there for the probe to find it; writing driver_override loads nothing.
    if (!vfio_loaded_) {
      if (auto loaded = host_.kernel.load_module("vfio-pci"); !loaded)
        return fail("loading vfio-pci: " + loaded.error().message);
      vfio_loaded_ = true;
    }
    const auto device_dir = host_.paths.pci_device(device.address);
    const auto driver_now = link_name(device_dir / "driver");
    // A device already on vfio-pci (set up by hand) is recorded as it is and left untouched.
    // Each write below takes the device's lock in the kernel, so each is time-limited.
    if (driver_now != std::string(kVfioPci)) {
      // 3. Only vfio-pci may bind from now on; this neither unbinds nor probes.
      if (auto stopped = check_stop(); !stopped) return stopped;
      if (auto written = write_device_attribute(host_, store_, current, device_dir / "driver_override", kVfioPci,
                                                "write of driver_override", Stoppable::yes);
          !written) {
        return fail("writing driver_override: " + written.error().message, written.error().code);
      }
      // 4. Leave the host driver. Its remove runs inside this write and may never return.
      if (auto stopped = check_stop(); !stopped) return stopped;
      if (driver_now) {
        if (auto unbound =
                write_device_attribute(host_, store_, current, host_.paths.pci_driver(*driver_now) / "unbind", address,
                                       "unbind from " + *driver_now, Stoppable::yes);
            !unbound) {
          return fail("unbinding from " + *driver_now + ": " + unbound.error().message, unbound.error().code);
        }
      }
      // The device's disks went with its driver (their O_EXCL claims kept anyone else from
      // mounting or assembling them until now; a claim left open would keep the old disk's index).
      if (claims_ != nullptr) claims_->release(device.address);
      // 5. Probe: the override makes vfio-pci the only candidate.
      if (auto probed = write_device_attribute(host_, store_, current, host_.paths.drivers_probe(), address, "probe",
                                               Stoppable::yes);
          !probed) {
        return fail("probing: " + probed.error().message, probed.error().code);
      }
    }
    // 6. Verify: drivers_probe reports success even when nothing bound (FACTS).
    const auto now = link_name(device_dir / "driver");
    if (now != std::string(kVfioPci)) {
      return fail("vfio-pci did not bind (driver is now " + now.value_or("none") + "; see dmesg)", EIO);
    }
    if (device.iommu_group && !path_exists(host_.paths.vfio_group_node(*device.iommu_group))) {
      return fail("/dev/vfio/" + std::to_string(*device.iommu_group) + " did not appear", EIO);
    }
    // 7. Done: the record says so.
    current.phase = Phase::bound;
    if (auto saved = store_.save(current); !saved) return fail("recording the binding: " + saved.error().message);
    host_.log.info(address + " bound to vfio-pci for domain " + domain_ + " (was " +
                   (current.original_driver.empty() ? "unbound" : current.original_driver) + ")");
    return {};
  }

  // The write that did not finish still holds the device's lock: nothing more may be written to it,
  // and reading its driver_override would hang us too. Its record (with the writer) stays for
  // `vfioctl restore`, which gives it back once the writer is gone; the others are rolled back.
  Finding keep_blocked() {
    const Record blocked = touched_.back();
    touched_.pop_back();
    const std::string address = blocked.address.str();
    const BlockedWrite& write = *blocked.blocked_write;
    return {Severity::error, address,
            "its " + write.what + " did not finish within " + std::to_string(host_.unbind_timeout.count()) +
                " ms and is still blocked in the kernel (pid " + std::to_string(write.pid) +
                "), holding the device's lock",
            "release what holds the device (see dmesg), then run vfioctl restore " + address, "write-pending"};
  }

  // A stop request (SIGTERM) between two steps: fail, so that everything is rolled back.
  static Expected<void> check_stop() {
    if (stop_requested()) return fail("stopped by a signal", ECANCELED);
    return {};
  }

  void roll_back(std::vector<Finding>& findings) {
    // The disks come back with their driver: no claim of ours may hold their old selves.
    if (claims_ != nullptr) claims_->release_all();
    for (auto it = touched_.rbegin(); it != touched_.rend(); ++it) {
      if (auto restored = restore_device(host_, store_, *it); !restored) {
        const std::string address = it->address.str();
        host_.log.error("rollback of " + address + " failed: " + restored.error().message +
                        "; its record is kept for vfioctl restore");
        findings.push_back({Severity::error, address, "was not given back to its driver: " + restored.error().message,
                            "run vfioctl restore " + address, "rollback-failed"});
      }
    }
  }

  Host& host_;
  StateStore& store_;
  const std::string& domain_;
  std::map<PciAddress, std::string> original_overrides_;
  DiskClaims* claims_;
  std::vector<Record> touched_;
  bool vfio_loaded_ = false;
};

}  // namespace

std::vector<Finding> bind_devices(Host& host, StateStore& store, const std::string& domain,
                                  const std::vector<PlannedDevice>& devices, DiskClaims* claims) {
  return Binding(host, store, domain, claims).run(devices);
}

}  // namespace vfiohooks
