// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/records/pci_address.h"
#include "plugin/records/state_index.h"

namespace vfiohooks {

// A state record (DIR/ADDRESS.json, the device records and the console records alike) written and
// removed under the domain index's rule (state_index.h): the entry ADDRESS@DOMAIN is made before the
// record is written and removed only after the record is gone, so the front's one readdir never
// misses a domain that holds something.

// Writes `text` to `file` durably (durable_file.h) for `domain`; `previous_domain` is the domain the
// file's old content named, whose entry goes once the new content is on disk.
Expected<void> save_indexed_record(const std::filesystem::path& file, const PciAddress& address, std::string_view domain,
                                   std::optional<std::string_view> previous_domain, std::string_view text);

// Deletes `file` (succeeds when it is already gone), then the entry of `holder`, the domain it named.
Expected<void> remove_indexed_record(const std::filesystem::path& file, const PciAddress& address,
                                     std::optional<std::string_view> holder);

// A record file that could not be read; reported, never fatal.
struct CorruptRecord {
  std::filesystem::path file;
  std::string reason;
};

// How one kind of record is written and read; `address` is the device it is about (its file name).
template <typename T>
struct RecordFormat {
  std::string (*text)(const T& record);
  Expected<T> (*parse)(std::string_view text);
  const PciAddress& (*address)(const T& record);
};

// The records of one kind: one file per device in one directory, each with its index entry.
// T has a `domain`.
template <typename T>
class IndexedRecords {
 public:
  IndexedRecords(std::filesystem::path dir, RecordFormat<T> format) : dir_(std::move(dir)), format_(format) {}

  // Writes the record atomically and durably, its index entry first.
  Expected<void> save(const T& record) const {
    const PciAddress& address = format_.address(record);
    const auto previous = find(address);
    return save_indexed_record(path(address), address, record.domain, domain_of(previous), format_.text(record));
  }

  // Deletes the device's record, then its index entry; succeeds when there was none.
  Expected<void> remove(const PciAddress& address) const {
    return remove_indexed_record(path(address), address, domain_of(find(address)));
  }

  std::optional<T> find(const PciAddress& address) const {
    const auto text = read_file(path(address));
    if (!text) return std::nullopt;
    auto record = format_.parse(*text);
    if (!record || format_.address(*record) != address) return std::nullopt;
    return *record;
  }

  // The devices with a record, from one listing of the directory (no record is read).
  std::set<PciAddress> addresses() const {
    std::set<PciAddress> found;
    for (const auto& name : list_directory(dir_)) {
      if (!name.ends_with(kRecordSuffix)) continue;  // index entries, temp files
      if (auto address = parse_pci_address(std::string_view(name).substr(0, name.size() - kRecordSuffix.size())))
        found.insert(*address);
    }
    return found;
  }

  struct Contents {
    std::vector<T> records;  // in address order
    std::vector<CorruptRecord> corrupt;
  };
  Contents load() const {
    Contents contents;
    for (const auto& name : list_directory(dir_)) {
      if (!name.ends_with(kRecordSuffix)) continue;  // index entries, temp files
      const std::filesystem::path file = dir_ / name;
      const auto text = read_file(file);
      auto record = text ? format_.parse(*text) : Expected<T>(fail("unreadable"));
      if (record && format_.address(*record).str() + std::string(kRecordSuffix) != name) {
        record = fail("its address " + format_.address(*record).str() + " does not match its file name");
      }
      if (record) contents.records.push_back(*record);
      else contents.corrupt.push_back({file, record.error().message});
    }
    return contents;
  }

 private:
  std::filesystem::path path(const PciAddress& address) const { return dir_ / (address.str() + std::string(kRecordSuffix)); }
  static std::optional<std::string_view> domain_of(const std::optional<T>& record) {
    if (!record) return std::nullopt;
    return record->domain;
  }

  std::filesystem::path dir_;
  RecordFormat<T> format_;
};

}  // namespace vfiohooks
