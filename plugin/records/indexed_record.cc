// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/indexed_record.h"

#include "plugin/base/durable_file.h"
#include "plugin/records/state_index.h"

namespace vfiohooks {

Expected<void> save_indexed_record(const std::filesystem::path& file, const PciAddress& address, std::string_view domain,
                                   std::optional<std::string_view> previous_domain, std::string_view text) {
  const std::string dir = file.parent_path().string();
  if (auto made = ensure_private_directory(dir); !made) return made;
  add_index_entry(dir, address, domain);
  auto written = write_durably(file, text);
  if (written && previous_domain && *previous_domain != domain) remove_index_entry(dir, address, *previous_domain);
  return written;
}

Expected<void> remove_indexed_record(const std::filesystem::path& file, const PciAddress& address,
                                     std::optional<std::string_view> holder) {
  auto removed = remove_durably(file);
  if (removed && holder) remove_index_entry(file.parent_path().string(), address, *holder);
  return removed;
}

}  // namespace vfiohooks
