// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/records/blocked_write.h"
#include "plugin/records/indexed_record.h"
#include "plugin/records/pci_address.h"

namespace vfiohooks {

// Where a device is in its bind: the intent is written before anything changes, so a crash at any
// point leaves a record that says what to restore.
enum class Phase { intent, bound };

// What vfio-hooks holds: one record per device it took from the host.
struct Record {
  PciAddress address;
  std::string domain;
  std::string original_driver;    // empty: the device was unbound
  std::string original_override;  // empty: there was none
  std::optional<unsigned> iommu_group;
  bool companion = false;         // bound because it shares the group, not because the domain asked
  Phase phase = Phase::intent;
  std::int64_t since = 0;         // seconds since the epoch
  // A write to the device abandoned at its time limit, its writer still in the kernel when it was
  // recorded: while still_blocked() says so, the device is locked and nothing may touch it.
  std::optional<BlockedWrite> blocked_write;
};

// The record file's text (JSON, docs/HOOK.md) and back. parse_record fails with one line naming
// what is wrong; whatever it accepts, record_text writes back to text it reads the same way.
std::string record_text(const Record& record);
Expected<Record> parse_record(std::string_view text);

// Durable records under the state directory (/run/vfio-hooks/devices/<address>.json), each with its
// index entry (plugin/records/indexed_record.h).
class StateStore {
 public:
  explicit StateStore(std::filesystem::path state_dir);

  // Writes the record atomically and durably (temp file, fsync, rename, fsync of the directory).
  Expected<void> save(const Record& record) { return records_.save(record); }
  // Deletes the device's record; succeeds when there was none.
  Expected<void> remove(const PciAddress& address) { return records_.remove(address); }
  std::optional<Record> find(const PciAddress& address) const { return records_.find(address); }
  // The devices with a record, from one listing (find() is one open per device).
  std::set<PciAddress> recorded() const { return records_.addresses(); }

  using Contents = IndexedRecords<Record>::Contents;
  Contents load() const { return records_.load(); }

  const std::filesystem::path& directory() const { return dir_; }

 private:
  std::filesystem::path dir_;
  IndexedRecords<Record> records_;
};

// The one lock that serializes every mutating step of the hooks and vfioctl (flock on
// /run/vfio-hooks/lock). Released when destroyed, or by the kernel when the process dies.
class StateLock {
 public:
  // Waits up to `wait` for the lock; fails naming the lock file when it stays busy.
  static Expected<StateLock> acquire(const std::filesystem::path& state_dir, std::chrono::milliseconds wait);
  StateLock(StateLock&& other) noexcept;
  StateLock& operator=(StateLock&&) = delete;
  ~StateLock();

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

std::string_view to_string(Phase phase);

}  // namespace vfiohooks
