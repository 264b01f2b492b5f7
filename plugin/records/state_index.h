// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "plugin/records/pci_address.h"

namespace vfiohooks {

// The per-domain index of the state records. Beside each record DIR/ADDRESS.json (DIR: devices/,
// and consoles/ for the handed-over consoles) the stores keep an empty file DIR/ADDRESS@DOMAIN naming
// the domain that holds the device or console (plugin/records/indexed_record.h), so that one readdir per
// directory tells the hook's front whether a domain holds anything (release, reconnect) without
// reading a record. The index may say more than the records, never less: an entry is made before
// its record is written and removed after its record is gone, so a crash leaves at most a stale
// entry (which only makes the front hand over). A record without an entry (written before the
// index existed, or whose entry could not be made) counts as held by every domain.

inline constexpr std::string_view kRecordSuffix = ".json";
inline constexpr char kIndexSeparator = '@';

// The entry's file name: the address, '@', and the domain with every byte outside [A-Za-z0-9_-]
// written as %XX, so no entry contains '/', ends in ".json" or reads as another domain's. nullopt
// when that would not fit in a file name (255 bytes): such a record stays without an entry.
std::optional<std::string> index_entry_name(const PciAddress& address, std::string_view domain);

// Makes or removes the entry for `address` held by `domain` in `records_dir`. Best effort by design:
// a missing entry makes the front hand over, a stale one too; neither loses a device.
void add_index_entry(const std::string& records_dir, const PciAddress& address, std::string_view domain);
void remove_index_entry(const std::string& records_dir, const PciAddress& address, std::string_view domain);

// The front's question for release and reconnect, from one readdir of `records_dir`: may `domain`
// hold one of its records? false only when no entry names it and every record has an entry; true too when
// the directory cannot be read (other than not existing: then nothing is held).
bool domain_may_hold(const std::string& records_dir, std::string_view domain);

}  // namespace vfiohooks
