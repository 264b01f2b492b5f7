// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin/base/finding.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"
#include "tools/context.h"

namespace vfiohooks::vfioctl {

using Json = nlohmann::ordered_json;

// Prints `rows` under `header` in aligned columns (two spaces apart, the last column unpadded).
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// Pretty-printed JSON and a newline. Built from values (nlohmann), never from strings.
void print_json(std::ostream& out, const Json& value);
// The same text as print_json of `head` with `key` added, an array of what `next` gives until it
// gives nothing, made and printed one item at a time: vfioctl list --json on an SR-IOV host has
// thousands of rows, and holding them all as values cost more than printing them.
void print_json_streaming(std::ostream& out, const Json& head, std::string_view key,
                          const std::function<std::optional<Json>()>& next);

// Each finding's line, exactly as the hook prints it (Finding::line), one per line.
void print_findings(std::ostream& out, const std::vector<Finding>& findings);

// {"severity","code","subject","problem","fix"}: the JSON form of a finding. Its line (Finding::line)
// is not repeated: "vfio-hooks: SUBJECT: [warning: ]PROBLEM; fix: FIX".
Json finding_json(const Finding& finding);
Json findings_json(const std::vector<Finding>& findings);
// Whether it is a bridge: true, false, or null when that cannot be told while it sleeps.
Json bridge_json(const PciDevice& device);
// {"device","domain","original_driver","original_override","iommu_group","companion","phase","since"}.
Json record_json(const Record& record);
// {"gpu","domain","released":[{"kind","name","where"}],"since"} — a host console handed over.
Json console_json(const ConsoleRecord& record);

// Says `text` on stderr unless -q: notes that are not the command's output.
void note(const Context& ctx, const std::string& text);

// "0x10de" style ids and "03:00.0" style pieces.
std::string hex_id(std::uint32_t value, int digits);
// "2026-11-03 14:02:11" (UTC) for a record's time.
std::string format_time(std::int64_t seconds);

}  // namespace vfiohooks::vfioctl
