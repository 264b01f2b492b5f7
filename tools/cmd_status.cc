// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl status: what vfio-hooks holds on this machine.
#include "plugin/kernel/process_stat.h"
#include "plugin/records/console_record.h"
#include "plugin/records/state_store.h"
#include "tools/commands.h"
#include "tools/connection_uri.h"
#include "tools/echoed.h"
#include "tools/failure.h"
#include "tools/output.h"

namespace vfiohooks::vfioctl {

int run_status(Context& ctx, const po::variables_map&, const Operands&) {
  if (!ctx.options.root_given && classify_uri(ctx.options.uri) == UriKind::remote) {
    throw Failure("the records live in /run/vfio-hooks on " + echoed(ctx.options.uri) + "; run vfioctl status on that host");
  }
  const auto contents = StateStore(ctx.paths.state_dir()).load();
  const auto consoles = ConsoleStore(ctx.paths.state_dir()).load();
  bool leftovers = false;
  for (const auto& record : contents.records) leftovers = leftovers || record.phase == Phase::intent;
  std::vector<CorruptRecord> corrupt = contents.corrupt;
  corrupt.insert(corrupt.end(), consoles.corrupt.begin(), consoles.corrupt.end());

  const auto blocked = [&](const Record& r) { return r.blocked_write && still_blocked(ctx.paths, *r.blocked_write); };
  if (ctx.options.json) {
    Json records = Json::array();
    for (const auto& record : contents.records) {
      Json json = record_json(record);
      if (record.blocked_write) json["blocked_write"]["still_blocked"] = blocked(record);
      records.push_back(std::move(json));
    }
    Json released = Json::array();
    for (const auto& console : consoles.records) released.push_back(console_json(console));
    Json bad = Json::array();
    for (const auto& each : corrupt) bad.push_back(Json{{"file", each.file.string()}, {"reason", each.reason}});
    print_json(ctx.out, Json{{"records", records}, {"consoles", released}, {"corrupt", bad}});
    return corrupt.empty() ? 0 : 1;
  }
  if (contents.records.empty()) {
    if (!ctx.options.quiet) ctx.out << "vfio-hooks holds no device\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    for (const auto& r : contents.records) {
      rows.push_back({r.address.str(), r.domain + (r.companion ? " (companion)" : ""),
                      r.original_driver.empty() ? "(none)" : r.original_driver,
                      r.original_override.empty() ? "-" : r.original_override, std::string(to_string(r.phase)),
                      format_time(r.since)});
    }
    print_table(ctx.out, {"DEVICE", "DOMAIN", "ORIGINAL-DRIVER", "OVERRIDE", "PHASE", "SINCE"}, rows);
  }
  for (const auto& r : contents.records) {
    if (!blocked(r)) continue;
    ctx.out << r.address.str() << ": " << describe(*r.blocked_write) << "; 'vfioctl restore " << r.address.str()
            << "' gives it back once that write is over\n";
  }
  if (!consoles.records.empty()) {
    ctx.out << "\nhost consoles handed over (console = release):\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : consoles.records) {
      const std::string released = c.describe_steps();
      rows.push_back({c.gpu.str(), c.domain, released.empty() ? "-" : released, format_time(c.since)});
    }
    print_table(ctx.out, {"GPU", "DOMAIN", "RELEASED", "SINCE"}, rows);
  }
  for (const auto& bad : corrupt) {
    ctx.out << "corrupt record " << bad.file.string() << ": " << bad.reason << '\n';
  }
  if (leftovers && !ctx.options.quiet) {
    ctx.out << "phase 'intent': a bind that did not finish (crash or kill); 'vfioctl restore --all' finishes it\n";
  }
  return corrupt.empty() ? 0 : 1;
}

}  // namespace vfiohooks::vfioctl
