// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

#include "plugin/error.h"
#include "plugin/pci_address.h"

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

}  // namespace vfiohooks
