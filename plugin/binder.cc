#include "plugin/binder.h"

#include <cerrno>
#include <chrono>

#include "plugin/restorer.h"
#include "plugin/sysfs_reader.h"
#include "plugin/time_limit.h"

namespace vfiohooks {

namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class Binding {
 public:
  Binding(Host& host, StateStore& store, const std::string& domain) : host_(host), store_(store), domain_(domain) {}

  std::vector<Finding> run(const std::vector<PlannedDevice>& devices) {
    for (const auto& planned : devices) {
      auto bound = bind_one(planned);
      if (bound) continue;
      const std::string address = planned.device.address.str();
      host_.log.error("binding " + address + " for domain " + domain_ + " failed: " + bound.error().message +
                      "; rolling back");
      // An abandoned unbind may still finish in the kernel: keep that device's record, so that
      // `vfioctl restore` can give it back once it does.
      const bool unbind_pending = bound.error().code == ETIMEDOUT;
      std::vector<Finding> findings{{Severity::error, address,
                                     "could not be bound to vfio-pci (" + bound.error().message + "); " +
                                         (unbind_pending ? "the others were given back" : "all were given back"),
                                     "see dmesg, and vfioctl show " + address, "bind-failed"}};
      if (unbind_pending) keep_pending(findings);
      roll_back(findings);
      return findings;
    }
    return {};
  }

 private:
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
        previous && previous->domain == domain_ ? previous->original_override : device.driver_override;
    record.iommu_group = device.iommu_group;
    record.companion = planned.companion;
    record.since = now_seconds();

    // 1. The intent, durably, before anything changes: a crash from here on is recoverable.
    if (auto saved = store_.save(record); !saved) return fail("recording intent: " + saved.error().message);
    touched_.push_back(record);
    // 2. vfio-pci must be there for the probe to find it; writing driver_override loads nothing.
    if (!vfio_loaded_) {
      if (auto loaded = host_.kernel.load_module("vfio-pci"); !loaded) return fail("loading vfio-pci: " + loaded.error().message);
      vfio_loaded_ = true;
    }
    const auto device_dir = host_.paths.pci_device(device.address);
    const auto current = link_name(device_dir / "driver");
    // A device already on vfio-pci (set up by hand) is recorded as it is and left untouched.
    if (current != std::string(kVfioPci)) {
      // 3. Only vfio-pci may bind from now on; this neither unbinds nor probes.
      if (auto written = host_.kernel.write_attribute(device_dir / "driver_override", kVfioPci); !written) {
        return fail("writing driver_override: " + written.error().message, written.error().code);
      }
      // 4. Leave the host driver. An unbind can block forever: time-limited.
      if (current) {
        auto unbound = write_with_time_limit(host_.kernel, host_.paths.pci_driver(*current) / "unbind", address,
                                             host_.unbind_timeout);
        if (!unbound) return fail("unbinding from " + *current + ": " + unbound.error().message, unbound.error().code);
      }
      // 5. Probe: the override makes vfio-pci the only candidate.
      if (auto probed = host_.kernel.write_attribute(host_.paths.drivers_probe(), address); !probed) {
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
    record.phase = Phase::bound;
    if (auto saved = store_.save(record); !saved) return fail("recording the binding: " + saved.error().message);
    touched_.back() = record;
    host_.log.info(address + " bound to vfio-pci for domain " + domain_ + " (was " +
                   (record.original_driver.empty() ? "unbound" : record.original_driver) + ")");
    return {};
  }

  void keep_pending(std::vector<Finding>& findings) {
    const Record pending = touched_.back();
    touched_.pop_back();
    const std::string address = pending.address.str();
    (void)write_original_override(host_, pending);
    findings.push_back({Severity::error, address,
                        "its unbind from " + pending.original_driver + " did not finish and may still complete; its "
                        "record is kept",
                        "run vfioctl restore " + address + " once the driver lets go", "unbind-pending"});
  }

  void roll_back(std::vector<Finding>& findings) {
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
  std::vector<Record> touched_;
  bool vfio_loaded_ = false;
};

}  // namespace

std::vector<Finding> bind_devices(Host& host, StateStore& store, const std::string& domain,
                                  const std::vector<PlannedDevice>& devices) {
  return Binding(host, store, domain).run(devices);
}

}  // namespace vfiohooks
