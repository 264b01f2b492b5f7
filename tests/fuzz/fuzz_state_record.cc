// SPDX-License-Identifier: LGPL-2.1-or-later
// The state record reader (/run/vfio-hooks/devices/ADDRESS.json). Invariants: never crash; errors
// are one line (vfioctl status and the hook's log print them); whatever is accepted is written back
// by record_text to text that reads as the same record, byte for byte once written again.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugin/records/state_store.h"
#include "tests/fuzz/fuzz_check.h"

using namespace vfiohooks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto record = parse_record(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!record) {
    fuzz::check_one_line(record.error().message);
    return 0;
  }
  const std::string text = record_text(*record);
  const auto again = parse_record(text);
  fuzz::check(again.has_value(), "record_text does not read back:", again ? text : again.error().message);
  fuzz::check(record_text(*again) == text, "the record changed on the way back:", text);
  fuzz::check(again->address == record->address && again->domain == record->domain &&
                  again->original_driver == record->original_driver &&
                  again->original_override == record->original_override && again->phase == record->phase &&
                  again->since == record->since && again->iommu_group == record->iommu_group &&
                  again->companion == record->companion &&
                  again->blocked_write.has_value() == record->blocked_write.has_value(),
              "a field changed on the way back:", text);
  return 0;
}
