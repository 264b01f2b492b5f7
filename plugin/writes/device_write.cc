// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/writes/device_write.h"

#include "plugin/writes/time_limit.h"

namespace vfiohooks {

Expected<void> write_device_attribute(Host& host, StateStore& store, Record& record,
                                      const std::filesystem::path& attribute, std::string_view value,
                                      const std::string& what, Stoppable stoppable) {
  auto written = write_with_time_limit(host.kernel, host.paths, attribute, value, host.unbind_timeout, stoppable);
  if (written.blocked) {
    written.blocked->what = what;
    record.blocked_write = written.blocked;
    host.log.error(record.address.str() + ": " + describe(*record.blocked_write));
    if (auto saved = store.save(record); !saved) {
      host.log.error("cannot record the blocked write of " + record.address.str() + ": " + saved.error().message);
    }
  }
  return std::move(written.result);
}

}  // namespace vfiohooks
